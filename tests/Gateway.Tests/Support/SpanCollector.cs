using System.Collections.Concurrent;
using System.Diagnostics;
using Gateway.Telemetry;

namespace Gateway.Tests.Support;

/// <summary>Collects the gateway's stopped spans of the traces a test started itself (tests run in parallel).</summary>
internal sealed class TraceSpanCollector : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly ConcurrentDictionary<ActivityTraceId, string> _traces = new();
    private readonly ConcurrentQueue<Activity> _stopped = new();

    public TraceSpanCollector()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == SemanticConventions.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (_traces.ContainsKey(activity.TraceId))
                {
                    _stopped.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public IReadOnlyList<Activity> Stopped => [.. _stopped];

    /// <summary>A new traceparent header for a request labelled <paramref name="label"/>.</summary>
    public string TraceParent(string label)
    {
        var traceId = ActivityTraceId.CreateRandom();
        _traces[traceId] = label;
        return $"traceparent: 00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01";
    }

    /// <summary>The label of the request the span belongs to.</summary>
    public string Label(Activity activity) => _traces[activity.TraceId];

    public void Dispose() => _listener.Dispose();
}

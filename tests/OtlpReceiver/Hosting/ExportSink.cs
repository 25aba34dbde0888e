using System.Text;
using OtlpReceiver.Protocol.Collector.Logs;
using OtlpReceiver.Protocol.Collector.Metrics;
using OtlpReceiver.Protocol.Collector.Trace;

namespace OtlpReceiver;

/// <summary>
/// The state both transports write into: decoded data, request counters, the answer mode, and a
/// change signal that waiters await. One lock guards the lists; the counters are interlocked.
/// </summary>
internal sealed class ExportSink
{
    private readonly Lock _gate = new();
    private readonly List<ReceivedSpan> _spans = [];
    private readonly List<ReceivedLog> _logs = [];
    private readonly List<string> _metricNames = [];
    private readonly List<IReadOnlyDictionary<string, object?>> _metricResources = [];
    private readonly Dictionary<string, double> _metricTotals = [];
    private readonly Dictionary<string, double> _metricPoints = [];

    // [signal, transport]: transport 0 = grpc, 1 = http.
    private readonly int[,] _requests = new int[3, 2];
    private readonly CancellationTokenSource _stopping = new();
    private TaskCompletionSource _changed = NewSignal();
    private volatile OtlpReceiverMode _mode = OtlpReceiverMode.Accept;

    public OtlpReceiverMode Mode
    {
        get => _mode;
        set => _mode = value;
    }

    /// <summary>Completes when anything is recorded or counted after this property was read.</summary>
    public Task Changed => Volatile.Read(ref _changed).Task;

    public IReadOnlyList<ReceivedSpan> Spans
    {
        get
        {
            lock (_gate)
            {
                return _spans.ToArray();
            }
        }
    }

    public IReadOnlyList<ReceivedLog> Logs
    {
        get
        {
            lock (_gate)
            {
                return _logs.ToArray();
            }
        }
    }

    /// <summary>The latest exported total of each metric (see <see cref="OtlpDecoder.MetricTotals"/>).</summary>
    public IReadOnlyDictionary<string, double> MetricTotals
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, double>(_metricTotals);
            }
        }
    }

    /// <summary>The latest exported value of each data point (see <see cref="OtlpDecoder.MetricPoints"/>).</summary>
    public IReadOnlyDictionary<string, double> MetricPoints
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, double>(_metricPoints);
            }
        }
    }

    public IReadOnlyList<IReadOnlyDictionary<string, object?>> MetricResources
    {
        get
        {
            lock (_gate)
            {
                return _metricResources.ToArray();
            }
        }
    }

    public IReadOnlyList<string> MetricNames
    {
        get
        {
            lock (_gate)
            {
                return _metricNames.ToArray();
            }
        }
    }

    public int RequestCount(OtlpSignal signal, string? transport)
    {
        var row = (int)signal;
        return transport switch
        {
            null => Volatile.Read(ref _requests[row, 0]) + Volatile.Read(ref _requests[row, 1]),
            OtlpTransport.Grpc => Volatile.Read(ref _requests[row, 0]),
            OtlpTransport.Http => Volatile.Read(ref _requests[row, 1]),
            _ => throw new ArgumentException($"Unknown transport '{transport}'; use OtlpTransport.Grpc or OtlpTransport.Http.", nameof(transport)),
        };
    }

    /// <summary>
    /// Counts a well-formed export request and applies <see cref="Mode"/>. Returns true when the
    /// request is to be recorded and answered with success, false when it is to be refused.
    /// In <see cref="OtlpReceiverMode.Hang"/> it waits until the caller aborts or the receiver stops,
    /// then throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public async Task<bool> AdmitAsync(OtlpSignal signal, string transport, CancellationToken requestAborted)
    {
        Interlocked.Increment(ref _requests[(int)signal, transport == OtlpTransport.Grpc ? 0 : 1]);
        Pulse();

        switch (_mode)
        {
            case OtlpReceiverMode.Accept:
                return true;
            case OtlpReceiverMode.Unavailable:
                return false;
            default:
                using (var linked = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, _stopping.Token))
                {
                    await Task.Delay(Timeout.Infinite, linked.Token).ConfigureAwait(false);
                }

                return false;
        }
    }

    public void Record(ExportTraceServiceRequest request, string transport)
    {
        var spans = OtlpDecoder.Spans(request, transport);
        lock (_gate)
        {
            _spans.AddRange(spans);
        }

        Pulse();
    }

    public void Record(ExportLogsServiceRequest request, string transport)
    {
        var logs = OtlpDecoder.Logs(request, transport);
        lock (_gate)
        {
            _logs.AddRange(logs);
        }

        Pulse();
    }

    public void Record(ExportMetricsServiceRequest request)
    {
        var names = OtlpDecoder.MetricNames(request);
        var totals = OtlpDecoder.MetricTotals(request);
        var resources = OtlpDecoder.MetricResources(request);
        var points = OtlpDecoder.MetricPoints(request);
        lock (_gate)
        {
            foreach (var (key, value) in points)
            {
                _metricPoints[key] = value;
            }

            _metricNames.AddRange(names);
            _metricResources.AddRange(resources);
            foreach (var (name, total) in totals)
            {
                _metricTotals[name] = total;
            }
        }

        Pulse();
    }

    public void Reset()
    {
        lock (_gate)
        {
            _spans.Clear();
            _logs.Clear();
            _metricNames.Clear();
            _metricResources.Clear();
            _metricTotals.Clear();
            _metricPoints.Clear();
            for (var signal = 0; signal < _requests.GetLength(0); signal++)
            {
                Interlocked.Exchange(ref _requests[signal, 0], 0);
                Interlocked.Exchange(ref _requests[signal, 1], 0);
            }
        }

        Pulse();
    }

    /// <summary>Releases requests held by <see cref="OtlpReceiverMode.Hang"/> so the server can stop.</summary>
    public void Stop() => _stopping.Cancel();

    /// <summary>
    /// Polls <paramref name="probe"/> after every change until it yields a result, the timeout
    /// passes (then a <see cref="TimeoutException"/> with <paramref name="describeTimeout"/>'s text),
    /// or <paramref name="cancellationToken"/> fires.
    /// </summary>
    public async Task<T> WaitAsync<T>(
        Func<T?> probe, TimeSpan timeout, Func<TimeSpan, string> describeTimeout, CancellationToken cancellationToken)
        where T : class
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            // Read the signal before probing so a change between the two is not lost.
            var changed = Changed;
            if (probe() is { } result)
            {
                return result;
            }

            try
            {
                await changed.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException(describeTimeout(timeout));
            }
        }
    }

    public string DescribeSpans(int max)
    {
        var spans = Spans;
        var text = new StringBuilder();
        text.Append($"Received {spans.Count} span(s) in {RequestCount(OtlpSignal.Traces, null)} trace export request(s) ")
            .Append($"(grpc {RequestCount(OtlpSignal.Traces, OtlpTransport.Grpc)}, http {RequestCount(OtlpSignal.Traces, OtlpTransport.Http)})");
        AppendItems(text, spans, max);
        return text.ToString();
    }

    public string DescribeLogs(int max)
    {
        var logs = Logs;
        var text = new StringBuilder();
        text.Append($"Received {logs.Count} log record(s) in {RequestCount(OtlpSignal.Logs, null)} logs export request(s) ")
            .Append($"(grpc {RequestCount(OtlpSignal.Logs, OtlpTransport.Grpc)}, http {RequestCount(OtlpSignal.Logs, OtlpTransport.Http)})");
        AppendItems(text, logs, max);
        return text.ToString();
    }

    private static void AppendItems<T>(StringBuilder text, IReadOnlyList<T> items, int max)
    {
        text.Append(items.Count == 0 ? "." : ":");
        foreach (var item in items.Take(max))
        {
            text.Append("\n  - ").Append(item);
        }

        if (items.Count > max)
        {
            text.Append($"\n  … and {items.Count - max} more");
        }
    }

    private void Pulse() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

using System.Diagnostics;
using Gateway.Configuration;

namespace Gateway.Telemetry;

/// <summary>
/// The per-request state of the access record, kept in <c>HttpContext.Features</c> from the
/// first middleware to the end of the response: the policy snapshot the request started with,
/// the request headers captured after routing, and the client spans that wait for the
/// sampling decision.
/// </summary>
internal sealed class RequestRecord(PolicySnapshot snapshot)
{
    private readonly Lock _gate = new();
    private List<Activity>? _deferred;

    /// <summary>The reloadable configuration in force when the request started.</summary>
    public PolicySnapshot Snapshot { get; } = snapshot;

    /// <summary>The route's policy; the default one until routing found a route.</summary>
    public RoutePolicy Policy { get; set; } = snapshot.Default;

    /// <summary>Captured request headers, or null until captured.</summary>
    public AttributeList? RequestHeaders { get; set; }

    /// <summary>Request header names as received (HTTP/1.x), or null.</summary>
    public IReadOnlyList<string>? HeaderOrder { get; set; }

    /// <summary>
    /// Takes a client span that has ended (its end time set) but must not be exported before the
    /// sampling decision; <see cref="ReleaseDeferred"/> stops it.
    /// </summary>
    public void Defer(Activity activity)
    {
        lock (_gate)
        {
            (_deferred ??= []).Add(activity);
        }
    }

    /// <summary>Stops the deferred client spans, recorded or not as the request's sampling decided.</summary>
    public void ReleaseDeferred(bool recorded)
    {
        List<Activity>? deferred;
        lock (_gate)
        {
            deferred = _deferred;
            _deferred = null;
        }

        foreach (var activity in deferred ?? [])
        {
            if (!recorded)
            {
                activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
                activity.IsAllDataRequested = false;
            }

            activity.Stop();
        }
    }
}

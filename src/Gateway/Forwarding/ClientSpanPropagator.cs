using System.Diagnostics;
using Gateway.Telemetry;

namespace Gateway.Forwarding;

/// <summary>
/// Makes the upstream request's <c>traceparent</c> name the gateway's client span.
/// </summary>
/// <remarks>
/// HttpClient starts an activity of its own (<c>System.Net.Http.HttpRequestOut</c>) under
/// whatever is current and injects that one; nothing exports it, so the backend's spans
/// would point at a parent no trace backend ever receives. This propagator walks up from
/// the activity it is given to the nearest span of the gateway's own source and lets the
/// wrapped propagator (YARP's, which first drops the caller's trace headers) inject that.
/// </remarks>
internal sealed class ClientSpanPropagator(DistributedContextPropagator inner) : DistributedContextPropagator
{
    /// <inheritdoc />
    public override IReadOnlyCollection<string> Fields => inner.Fields;

    /// <inheritdoc />
    public override void Inject(Activity? activity, object? carrier, PropagatorSetterCallback? setter) =>
        inner.Inject(OwnSpan(activity) ?? activity, carrier, setter);

    /// <inheritdoc />
    public override void ExtractTraceIdAndState(object? carrier, PropagatorGetterCallback? getter, out string? traceId, out string? traceState) =>
        inner.ExtractTraceIdAndState(carrier, getter, out traceId, out traceState);

    /// <inheritdoc />
    public override IEnumerable<KeyValuePair<string, string?>>? ExtractBaggage(object? carrier, PropagatorGetterCallback? getter) =>
        inner.ExtractBaggage(carrier, getter);

    private static Activity? OwnSpan(Activity? activity)
    {
        for (var current = activity; current is not null; current = current.Parent)
        {
            if (current.Source.Name == SemanticConventions.ActivitySourceName)
            {
                return current;
            }
        }

        return null;
    }
}

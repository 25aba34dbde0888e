using Gateway.Telemetry;
using Yarp.ReverseProxy.Transforms;

namespace Gateway.Forwarding;

/// <summary>
/// Makes the upstream request's <c>traceparent</c> name the gateway's client span of this
/// attempt, so that the backend's spans hang off a span the trace backend really receives.
/// </summary>
/// <remarks>
/// YARP copies the client's <c>traceparent</c> onto the upstream request; it is replaced
/// here. <c>tracestate</c> (and <c>baggage</c>) go on unchanged, as W3C Trace Context asks
/// of a participant that adds no state of its own. Without a record (telemetry off for the
/// request), the client's headers pass through untouched.
/// </remarks>
internal static class TraceContextTransform
{
    /// <summary>The request transform.</summary>
    public static ValueTask Apply(RequestTransformContext context)
    {
        if (context.HttpContext.Features.Get<IUpstreamRecordFeature>()?.Upstream is { } span)
        {
            var headers = context.ProxyRequest.Headers;
            headers.Remove(TraceContext.TraceParentHeader);
            headers.TryAddWithoutValidation(TraceContext.TraceParentHeader, TraceContext.Format(span));
        }

        return ValueTask.CompletedTask;
    }
}

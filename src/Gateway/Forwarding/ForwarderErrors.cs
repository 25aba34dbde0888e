using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Forwarding;

/// <summary>Reads YARP's forwarding outcome off a finished request.</summary>
internal static class ForwarderErrors
{
    /// <summary>The forwarding error of <paramref name="context"/>, or null when forwarding succeeded or did not happen.</summary>
    public static IForwarderErrorFeature? Of(HttpContext context) =>
        context.Features.Get<IForwarderErrorFeature>() is { Error: not ForwarderError.None } feature ? feature : null;

    /// <summary>The <c>error.type</c> value for a forwarding error: YARP's error name, e.g. <c>Request</c> or <c>RequestTimedOut</c>.</summary>
    public static string ErrorType(IForwarderErrorFeature feature) => feature.Error.ToString();

    /// <summary>A one-line description for the span status.</summary>
    public static string Describe(IForwarderErrorFeature feature) =>
        feature.Exception is { } e ? $"{feature.Error}: {e.GetType().Name}: {e.Message}" : feature.Error.ToString();
}

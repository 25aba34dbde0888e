using Gateway.Telemetry;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Model;

namespace Gateway.Requests;

/// <summary>
/// Runs right after routing, before the proxy pipeline: the route is known, so its policy
/// (the YARP route's <c>Metadata</c> overrides) applies, and the headers are still exactly what
/// the client sent, whatever transforms do later. The rules that can decide by now are
/// evaluated here too (a deny answers at once, nothing is proxied); with no rules configured
/// that is one null check.
/// </summary>
internal sealed class RequestHeaderCaptureMiddleware(RequestDelegate next)
{
    /// <summary>Captures, evaluates the rules that can decide now, then continues unless denied.</summary>
    public Task InvokeAsync(HttpContext context)
    {
        if (context.Features.Get<RequestRecord>() is { RequestHeaders: null } record)
        {
            var route = context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config;
            record.Policy = record.Snapshot.For(route);
            record.RequestHeaders = Capture(record, context.Request.Headers);
            if (record.Rules is not null && Requests.RequestRules.DenyBeforeProxying(context, record))
            {
                return Task.CompletedTask;
            }
        }

        return next(context);
    }

    /// <summary>The request header attributes under the record's current policy.</summary>
    internal static AttributeList Capture(RequestRecord record, IHeaderDictionary headers)
    {
        var attributes = record.Telemetry.Scratch;
        attributes.Clear();
        record.Policy.Capture.CaptureRequest(headers, attributes);
        record.Policy.Capture.AddHeaderOrder(record.HeaderOrder, attributes);
        return attributes;
    }
}

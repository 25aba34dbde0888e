using System.Runtime.CompilerServices;
using Gateway.Correlation;
using Gateway.Rules;
using Gateway.Telemetry;
using Gateway.Telemetry.Records;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Model;

namespace Gateway.Requests;

/// <summary>
/// The rules' three moments on a request. A gateway without rules stops at the first check of
/// step 1 (Rules.IsEmpty) and allocates nothing for them; steps 2 and 3 then see no outcome:
/// <code>
///   1. Start: the pooled RuleOutcome and RuleAttributes view of the request (made once per pooled record)
///   2. BeforeProxying (after routing and header capture): the rules that read what is known by
///      then; those that read only the connection's handshake once per connection (their results
///      kept in the ConnectionRuleCache on the connection's ledger entry); a deny answers with its status here, and
///      nothing is proxied
///   3. Finish (the response has ended, before sampling): the rules that read what proxying
///      told; gateway.rule.matched / gateway.rule.denied on the record; the alerts emitted
///      with the request's trace context. Where the response's last bytes are still leaving and
///      those rules read the wire (WaitForSettledWire), step 3 runs once they have left, with the
///      record's settled wire.request.* figures, off the request's path
/// </code>
/// </summary>
internal static class RequestRules
{
    /// <summary>
    /// Step 1; with no rules configured it returns at once, makes nothing and leaves <c>record.Rules</c> null.
    /// <paramref name="onConnection"/>: the request on its connection's ledger entry, which keeps the connection's
    /// rule cache.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Start(RequestRecord record, HttpContext context, IWireView wireView, ConnectionTuple? tuple, in RequestOnConnection onConnection)
    {
        if (!record.Snapshot.Rules.IsEmpty)
        {
            StartWithRules(record, context, wireView, tuple, record.Snapshot.Rules.HasConnectionRules ? onConnection.RuleCache : null);
        }
    }

    /// <summary>Step 1 with the connection's rule cache given (null: the connection's rules are evaluated at each request).</summary>
    public static void Start(RequestRecord record, HttpContext context, IWireView wireView, ConnectionTuple? tuple, ConnectionRuleCache? connection = null)
    {
        if (!record.Snapshot.Rules.IsEmpty)
        {
            StartWithRules(record, context, wireView, tuple, connection);
        }
    }

    /// <summary>Step 2; true when the request was denied and answered.</summary>
    public static bool DenyBeforeProxying(HttpContext context, RequestRecord record)
    {
        if (record.Rules is not { } outcome || !record.Snapshot.Rules.HasRequestRules)
        {
            return false;
        }

        var rules = record.Snapshot.Rules;
        // The route only where some rule is scoped to routes. The connection's cache (given at step 1 where some rule
        // reads the handshake) holds their results from the connection's first request.
        var route = rules.ScopedByRoute ? context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config.RouteId : null;
        var input = record.RuleInput!;
        rules.Evaluate(RulePhase.Request, input, route, outcome, input.IsRedacted, input.Connection);
        if (outcome.DeniedBy is null)
        {
            return false;
        }

        // Answered here, before the proxy pipeline: the backend never sees the request. The
        // connection stays open for the client's next request.
        context.Response.StatusCode = outcome.DenyStatus;
        context.Response.ContentLength = 0;
        return true;
    }

    /// <summary>
    /// Before step 3, for a record whose response is still leaving: true when the response rules read
    /// <c>wire.*</c>, so that step 3 must wait for the settled figures; what those rules read besides
    /// the wire is taken now, while the request's context is still valid.
    /// </summary>
    public static bool WaitForSettledWire(RequestRecord record)
    {
        if (record.Rules is null || !record.Snapshot.Rules.ResponseRulesReadTheWire)
        {
            return false;
        }

        record.RuleInput!.Freeze(record.Snapshot.Rules.ResponseAttributes);
        return true;
    }

    /// <summary>
    /// Step 3; the alert sink is taken from <paramref name="context"/>'s services only when some alert is
    /// raised: reading <c>HttpContext.RequestServices</c> makes the request's DI scope (~184 B and its
    /// disposal), which a request without alerts must not pay.
    /// </summary>
    public static void Finish(RequestRecord record, AttributeList attributes, WireFacts? wireAtEnd, string? routeId, double durationMs, HttpContext context) =>
        Finish(record, attributes, wireAtEnd, routeId, durationMs, context, null);

    /// <summary>Step 3 where it waited for the wire figures (<see cref="WaitForSettledWire"/>): the request's services are gone, the alert sink is given.</summary>
    public static void Finish(RequestRecord record, AttributeList attributes, WireFacts? wireAtEnd, string? routeId, double durationMs, AlertDispatcher alerts) =>
        Finish(record, attributes, wireAtEnd, routeId, durationMs, null, alerts);

    private static void Finish(RequestRecord record, AttributeList attributes, WireFacts? wireAtEnd, string? routeId, double durationMs, HttpContext? context, AlertDispatcher? sink)
    {
        if (record.Rules is not { } outcome)
        {
            return;
        }

        var rules = record.Snapshot.Rules;
        if (rules.HasResponseRules)
        {
            record.RuleInput!.AddLate(attributes, wireAtEnd, durationMs);
            rules.Evaluate(RulePhase.Response, record.RuleInput, routeId, outcome, record.RuleInput.IsRedacted);
        }

        if (outcome.Tags.Count > 0)
        {
            attributes.Add(SemanticConventions.GatewayRuleMatched, [.. outcome.Tags]);
        }

        attributes.AddIfPresent(SemanticConventions.GatewayRuleDenied, outcome.DeniedBy);
        var span = record.Server;
        var raised = outcome.TakeAlerts();
        if (raised.Count == 0)
        {
            return;
        }

        var alerts = sink ?? context!.RequestServices.GetRequiredService<AlertDispatcher>();
        foreach (var alert in raised)
        {
            alerts.Emit(alert with { TraceId = span.TraceId.ToHex(), SpanId = SpanIds.ToHex(span.SpanId), TraceFlags = span.TraceFlags });
        }
    }

    private static void StartWithRules(RequestRecord record, HttpContext context, IWireView wireView, ConnectionTuple? tuple, ConnectionRuleCache? connection)
    {
        var input = record.RuleInput ??= new RuleAttributes();
        input.Reset(context, wireView, record, tuple, connection);
        record.Rules = (record.PooledOutcome ??= new RuleOutcome()).Reset();
    }
}

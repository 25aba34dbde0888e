namespace Gateway.Rules;

/// <summary>When a rule can be evaluated: as soon as everything its condition reads is known.</summary>
public enum RulePhase
{
    /// <summary>
    /// When the connection's handshake is known (its SYN, its TLS ClientHello, its addresses): before its
    /// first request. The condition is evaluated once per connection; its result applies to every request
    /// on it (route scope and actions are still per request).
    /// </summary>
    Connection,

    /// <summary>When the request has arrived and been routed, before anything is proxied: the client, the request's line and headers, the connection's counters so far. Evaluating this phase evaluates the connection's rules too.</summary>
    Request,

    /// <summary>When the response has ended: it reads what only proxying tells (<c>http.response.*</c>, <c>wire.request.*</c>...). Such a rule can tag or alert, not deny.</summary>
    Response,
}

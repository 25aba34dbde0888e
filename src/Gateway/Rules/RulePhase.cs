namespace Gateway.Rules;

/// <summary>When a rule can be evaluated: as soon as everything its condition reads is known.</summary>
public enum RulePhase
{
    /// <summary>When the request has arrived and been routed, before anything is proxied: the connection's handshake and TLS facts, the client, the request's headers.</summary>
    Request,

    /// <summary>When the response has ended: it reads what only proxying tells (<c>http.response.*</c>, <c>wire.request.*</c>...). Such a rule can tag or alert, not deny.</summary>
    Response,
}

namespace Gateway.Rules;

/// <summary>What happens when a rule matches. Every match also keeps the request's record, whatever the sampling ratio.</summary>
[Flags]
public enum RuleActions
{
    /// <summary>Only keep the record (the <c>Sampling:AlwaysKeep</c> entries are rules of this kind).</summary>
    None = 0,

    /// <summary>The request's records carry the rule's name in <c>gateway.rule.matched</c>.</summary>
    Tag = 1,

    /// <summary>A <c>gateway.alert</c> log record (and the webhook, when configured), rate-limited per rule.</summary>
    Alert = 2,

    /// <summary>The request is answered with the rule's status before anything is proxied.</summary>
    Deny = 4,
}

using Gateway.Telemetry.Records;

namespace Gateway.Requests;

/// <summary>The attribute names and event name the rules add to records (docs/attributes.md).</summary>
internal static class RuleNames
{
    /// <summary>Names of the matched rules whose action is <c>tag</c> (string array).</summary>
    public static readonly AttributeName Matched = AttributeName.Of("gateway.rule.matched");

    /// <summary>The rule that denied the request (string).</summary>
    public static readonly AttributeName Denied = AttributeName.Of("gateway.rule.denied");

    /// <summary>On a <c>gateway.alert</c> record: the rule's name.</summary>
    public static readonly AttributeName AlertRule = AttributeName.Of("gateway.alert.rule");

    /// <summary>On a <c>gateway.alert</c> record: the matches it stands for.</summary>
    public static readonly AttributeName AlertCount = AttributeName.Of("gateway.alert.count");

    /// <summary>On a <c>gateway.alert</c> record: the status the request was denied with.</summary>
    public static readonly AttributeName AlertDeniedStatus = AttributeName.Of("gateway.alert.denied_status");

    /// <summary>On a <c>gateway.alert</c> record of a fail-closed rule: the evaluation error.</summary>
    public static readonly AttributeName AlertError = AttributeName.Of("gateway.alert.error");
}

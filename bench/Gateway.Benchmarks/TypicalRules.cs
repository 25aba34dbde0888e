using Gateway.Rules;

namespace Gateway.Benchmarks;

/// <summary>
/// Ten typical rules (header tests, a JA4 list, TTL and TCP option checks, a retransmission count, a
/// path prefix) and a request that matches none of them: what RuleBenchmarks measures, and what
/// Gateway.Tests' allocation check evaluates (this file is linked into that project).
/// </summary>
public static class TypicalRules
{
    /// <summary>The ten conditions.</summary>
    public static readonly string[] Conditions =
    [
        "\"http.request.header.x-internal-token\" in attrs",
        "attrs[\"http.request.header.user-agent\"].exists(v, v.contains(\"Windows\")) && attrs[\"wire.ip.ttl\"] <= 64",
        "\"tls.client.ja4\" in attrs && attrs[\"tls.client.ja4\"] in [\"t13d1516h2_8daaf6152771_02713d6af862\", \"t13d1517h2_8daaf6152771_b1ff8ab2d16f\"]",
        "\"gateway.forwarded.mismatch\" in attrs && attrs[\"gateway.forwarded.mismatch\"].contains(\"ttl-far\")",
        "attrs[\"wire.conn.retransmits_out\"] > 10",
        "attrs[\"url.path\"].startsWith(\"/admin\") && attrs[\"http.request.method\"] != \"GET\"",
        "attrs[\"wire.tcp.mss\"] < 536",
        "attrs[\"http.request.header.user-agent\"].exists(v, v.matches(\"(?i)sqlmap|nikto|masscan\"))",
        "size(attrs[\"http.request.header.user-agent\"]) > 1",
        "attrs[\"client.address\"] in [\"203.0.113.7\", \"198.51.100.23\"]",
    ];

    /// <summary>The ten rules compiled, each tagging and alerting.</summary>
    public static RuleSet Compile() =>
        RuleSet.Compile(Conditions.Select((c, i) => new RuleDefinition($"rule-{i}", c, RuleActions.Tag | RuleActions.Alert)));

    /// <summary>
    /// The ten rules as the gateway's <c>Rules</c> section (each tagging and alerting), for the bench
    /// rows that run them in the real process: <c>Gateway.Benchmarks rules-json</c>.
    /// </summary>
    public static string ConfigSection() =>
        System.Text.Json.JsonSerializer.Serialize(
            Conditions.Select((c, i) => (Name: $"rule-{i}", Rule: new { Condition = c, Actions = new[] { "tag", "alert" } }))
                .ToDictionary(r => r.Name, r => (object)r.Rule),
            new System.Text.Json.JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    /// <summary>An ordinary request that none of them matches.</summary>
    public static Dictionary<string, RuleValue> Request() => new()
    {
        ["http.request.method"] = RuleValue.Of("GET"),
        ["url.path"] = RuleValue.Of("/api/hello"),
        ["client.address"] = RuleValue.Of("127.0.0.1"),
        ["http.request.header.user-agent"] = RuleValue.OfStrings("curl/8.5.0"),
        ["wire.ip.ttl"] = RuleValue.Of(64L),
        ["wire.tcp.mss"] = RuleValue.Of(65495L),
        ["wire.conn.retransmits_out"] = RuleValue.Of(0L),
    };
}

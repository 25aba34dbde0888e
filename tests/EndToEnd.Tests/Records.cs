using System.Text.Json.Nodes;

namespace EndToEnd.Tests;

/// <summary>Reading the embedded sink's JSON lines.</summary>
internal static class Records
{
    public const string Access = "gateway.access";

    public static JsonObject Attributes(this JsonObject record) => record["attributes"]!.AsObject();

    public static string? Event(this JsonObject record) => (string?)record["event"];

    public static bool HasHeader(this JsonObject record, string name, string value) =>
        record.Attributes()[$"http.request.header.{name}"] is JsonArray values && values.Any(v => (string?)v == value);

    public static long Long(this JsonObject record, string attribute) =>
        record.Attributes()[attribute] is JsonNode node ? node.GetValue<long>() : throw new Xunit.Sdk.XunitException($"no attribute {attribute} in {record.ToJsonString()}");

    public static bool Bool(this JsonObject record, string attribute) =>
        record.Attributes()[attribute]?.GetValue<bool>() ?? throw new Xunit.Sdk.XunitException($"no attribute {attribute} in {record.ToJsonString()}");

    public static string Str(this JsonObject record, string attribute) =>
        (string?)record.Attributes()[attribute] ?? throw new Xunit.Sdk.XunitException($"no attribute {attribute} in {record.ToJsonString()}");
}

/// <summary>
/// Gateways in these tests attach to the host's lo: they run one at a time so
/// that one test's teardown never races another's attach on the shared hook.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HostLoopback
{
    public const string Name = "gateway on the host's lo";
}

internal static class Ci
{
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Kernel tests need root; outside CI they skip with the reason, in CI they fail.</summary>
    public static void RequireRoot()
    {
        if (Environment.UserName != "root" && !IsCi)
            Skip.If(true, "the wire view needs root (or CAP_BPF + CAP_NET_ADMIN + CAP_PERFMON)");
    }
}

using System.Text.Json;

namespace Gateway.Health;

/// <summary>The answer of one probe: passed when every check passed.</summary>
/// <param name="Probe"><c>live</c> or <c>ready</c>.</param>
/// <param name="Checks">What was checked, in order.</param>
public sealed record HealthReport(string Probe, IReadOnlyList<HealthCheck> Checks)
{
    /// <summary>True when every check passed (HTTP 200; otherwise 503).</summary>
    public bool Passed => Checks.All(c => c.Passed);

    /// <summary>The report as one JSON object: <c>{"probe", "status": "pass"|"fail", "checks": {name: {passed, status, detail}}}</c>.</summary>
    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("probe", Probe);
            json.WriteString("status", Passed ? "pass" : "fail");
            json.WriteStartObject("checks");
            foreach (var check in Checks)
            {
                json.WriteStartObject(check.Name);
                json.WriteBoolean("passed", check.Passed);
                json.WriteString("status", check.Status);
                json.WriteString("detail", check.Detail);
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }
}

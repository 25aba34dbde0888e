using System.Text.Json.Nodes;

namespace EndToEnd.Tests;

/// <summary>Hot reload in the real process: the file watcher, the console warning, the routes that keep serving.</summary>
public sealed class ConfigReloadTests
{
    [Fact]
    public async Task EditedConfigFile_BrokenThenValid_BrokenIsRefusedWithFileAndReasonValidIsApplied()
    {
        await using var backend = await Backend.StartAsync();
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url, probeMode: "Off");
        string configPath = Path.Combine(gateway.WorkDir, "gateway.json");
        string original = await File.ReadAllTextAsync(configPath);
        using var client = new HttpClient { BaseAddress = gateway.Url("ipv4") };

        await File.WriteAllTextAsync(configPath, original[..(original.Length / 2)]);
        await WaitForOutputAsync(gateway, "changed but was refused", "refused");
        Assert.Contains($"Configuration file {configPath} changed but was refused", gateway.Output, StringComparison.Ordinal);
        Assert.Contains("invalid JSON at line", gateway.Output, StringComparison.Ordinal);
        Assert.Equal(200, (int)(await client.GetAsync("/after-broken")).StatusCode);

        var config = JsonNode.Parse(original)!.AsObject();
        config["HeaderLogging"] = new JsonObject { ["Redact"] = new JsonArray("x-reloaded") };
        await File.WriteAllTextAsync(configPath, config.ToJsonString());
        await WaitForOutputAsync(gateway, "HeaderLogging:Redact:0", "applied");

        using var request = new HttpRequestMessage(HttpMethod.Get, "/after-valid");
        request.Headers.Add("X-Reloaded", "must-not-show");
        Assert.Equal(200, (int)(await client.SendAsync(request)).StatusCode);
        var record = (await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && ((string?)r["body"])!.Contains("/after-valid", StringComparison.Ordinal))).Single();
        Assert.True(record.HasHeader("x-reloaded", "[REDACTED]"));
    }

    private static async Task WaitForOutputAsync(GatewayProcess gateway, string text, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!gateway.Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the gateway did not report the reload as {what} within 15 s:\n{gateway.Output}");
            await Task.Delay(50);
        }
    }
}

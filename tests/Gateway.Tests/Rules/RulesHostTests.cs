using System.Text.Json;
using Gateway.Hosting;
using Gateway.Tests.Support;

namespace Gateway.Tests.Rules;

/// <summary>The rules on the running gateway's request path, over real sockets (the probe off).</summary>
public sealed class RulesHostTests
{
    private static async Task<GatewayHost> StartAsync(TestConfig config)
    {
        var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0"]);
        await gateway.StartAsync();
        return gateway;
    }

    private static List<JsonElement> Events(TestConfig config, string name) =>
        [.. JsonLines.ReadAll(config.JsonLinesPath).Where(r => r.GetProperty("event").GetString() == name)];

    [Fact]
    public async Task Deny_HeaderThatMustNeverReachABackend_AnsweredBeforeProxying_ConnectionStaysOpen()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address, sections: """
            "Rules": { "no-internal-token": { "Condition": "\"http.request.header.x-internal-token\" in attrs", "Actions": [ "deny", "alert" ], "Status": 451 } },
            """);
        await using var gateway = await StartAsync(config);
        using var connection = await KeepAliveConnection.OpenAsync(new Uri(gateway.Addresses[0]));

        var (denied, _) = await connection.GetAsync("/secret-path", "X-Internal-Token: s3cr3t-value");
        var (allowed, _) = await connection.GetAsync("/open-path");

        Assert.Equal(451, denied);
        Assert.Equal(200, allowed);
        Assert.Equal(["/open-path"], backend.Requests.Select(r => r.Path));
        var access = await JsonLines.WaitForAsync(config.JsonLinesPath, r => r.GetProperty("body").GetString()!.StartsWith("GET /secret-path 451", StringComparison.Ordinal));
        Assert.Equal("no-internal-token", access.Attributes().GetProperty("gateway.rule.denied").GetString());
        var alert = await JsonLines.WaitForAsync(config.JsonLinesPath, r => r.GetProperty("event").GetString() == "gateway.alert");
        Assert.Equal(access.GetProperty("trace_id").GetString(), alert.GetProperty("trace_id").GetString());
        Assert.Equal(access.GetProperty("span_id").GetString(), alert.GetProperty("span_id").GetString());
        Assert.Equal("no-internal-token", alert.Attributes().GetProperty("gateway.alert.rule").GetString());
        Assert.Equal(451, alert.Attributes().GetProperty("gateway.alert.denied_status").GetInt32());
        // The header's name says "token": the record redacts its value, and so does the alert.
        Assert.Equal("[REDACTED]", alert.Attributes().GetProperty("http.request.header.x-internal-token").GetString());
        Assert.DoesNotContain("s3cr3t-value", File.ReadAllText(config.JsonLinesPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tag_WithRatioZero_MatchesAreKeptAndTagged_AlertsPacedPerRule()
    {
        await using var backend = await TestBackend.StartAsync();
        var marker = Guid.NewGuid().ToString("N")[..8];
        using var config = TestConfig.ForBackend(backend.Address, sections: """
            "Sampling": { "Ratio": 0 },
            "Rules": {
              "ua-windows": { "Condition": "attrs[\"http.request.header.user-agent\"].exists(v, v.contains(\"Windows\"))", "Actions": [ "tag", "alert" ], "AlertIntervalSeconds": 3600 },
              "served-ok": { "Condition": "attrs[\"http.response.status_code\"] == 200 && attrs[\"url.path\"].startsWith(\"/late\")", "Actions": [ "tag" ] }
            },
            """);
        await using var gateway = await StartAsync(config);
        var url = new Uri(gateway.Addresses[0]);

        for (var i = 0; i < 3; i++)
        {
            await RawHttp.GetAsync(url, $"/win/{marker}/{i}", "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64)");
        }

        await RawHttp.GetAsync(url, $"/plain/{marker}", "User-Agent: curl/8.5.0");
        await RawHttp.GetAsync(url, $"/late/{marker}", "User-Agent: curl/8.5.0");

        await JsonLines.WaitForAsync(config.JsonLinesPath, r => r.GetProperty("body").GetString()!.Contains($"/late/{marker}", StringComparison.Ordinal));
        var access = Events(config, "gateway.access");
        Assert.Equal(4, access.Count);
        Assert.All(access.Where(r => r.GetProperty("body").GetString()!.Contains("/win/", StringComparison.Ordinal)),
            r => Assert.Equal(["ua-windows"], r.Attributes().GetProperty("gateway.rule.matched").EnumerateArray().Select(v => v.GetString())));
        Assert.DoesNotContain(access, r => r.GetProperty("body").GetString()!.Contains("/plain/", StringComparison.Ordinal));
        var late = Assert.Single(access, r => r.GetProperty("body").GetString()!.Contains("/late/", StringComparison.Ordinal));
        Assert.Equal(["served-ok"], late.Attributes().GetProperty("gateway.rule.matched").EnumerateArray().Select(v => v.GetString()));

        // Three matches, one alert: the first at once, the other two held back by the interval.
        var alert = Assert.Single(Events(config, "gateway.alert"));
        Assert.Equal(1, alert.Attributes().GetProperty("gateway.alert.count").GetInt64());
        Assert.Equal("Mozilla/5.0 (Windows NT 10.0; Win64; x64)", alert.Attributes().GetProperty("http.request.header.user-agent")[0].GetString());
    }

    [Fact]
    public async Task RuntimeError_FailsOpen_UnlessFailClosed()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address, sections: """
            "Rules": {
              "open": { "Condition": "int(attrs[\"http.request.header.x-n\"][0]) > 5", "Actions": [ "deny" ] },
              "closed": { "Condition": "int(attrs[\"http.request.header.x-m\"][0]) > 5", "Actions": [ "deny" ], "FailClosed": true, "Status": 400 }
            },
            """);
        await using var gateway = await StartAsync(config);
        var url = new Uri(gateway.Addresses[0]);

        var (_, open) = await RawHttp.GetAsync(url, "/a", "X-N: not-a-number", "X-M: 1");
        var (_, closed) = await RawHttp.GetAsync(url, "/b", "X-N: 1", "X-M: not-a-number");

        Assert.StartsWith("HTTP/1.1 200", open, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 400", closed, StringComparison.Ordinal);
        Assert.Equal(1, gateway.Policies.Current.Rules.All.Single(r => r.Name == "open").Errors);
    }
}

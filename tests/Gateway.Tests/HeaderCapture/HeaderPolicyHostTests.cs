using System.Text.Json;
using Gateway.Hosting;
using Gateway.Tests.Support;

namespace Gateway.Tests.HeaderCapture;

/// <summary>The header policy as the running gateway applies it, on real Kestrel sockets.</summary>
public sealed class HeaderPolicyHostTests
{
    private static async Task<JsonElement> AccessWithMarker(TestConfig config, string marker) =>
        (await JsonLines.WaitForAsync(config.JsonLinesPath, r => r.GetProperty("event").GetString() == "gateway.access"
            && r.GetProperty("body").GetString()!.Contains(marker, StringComparison.Ordinal))).Attributes();

    [Fact]
    public async Task Request_KeepAliveConnection_HeaderOrderIsTheWireOrderForEveryRequest()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address);
        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0"]);
        await gateway.StartAsync();
        using var connection = await KeepAliveConnection.OpenAsync(new Uri(gateway.Addresses[0]));

        await connection.GetAsync("/order-1", "X-Zed: 1", "User-Agent: u", "Accept: */*", "x-abc: 2", "X-ABC: 3");
        await connection.GetAsync("/order-2", "Accept: */*", "User-Agent: u", "X-Zed: 1");

        var first = await AccessWithMarker(config, "/order-1");
        var second = await AccessWithMarker(config, "/order-2");
        Assert.Equal(["host", "x-zed", "user-agent", "accept", "x-abc", "x-abc"],
            first.GetProperty("gateway.request.header_order").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["host", "accept", "user-agent", "x-zed"],
            second.GetProperty("gateway.request.header_order").EnumerateArray().Select(e => e.GetString()));

        // Names differing only in case are one header with two values.
        Assert.Equal(["2", "3"], first.GetProperty("http.request.header.x-abc").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Request_SecretQueryParameters_RedactedInUrlQueryAndBody()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address);
        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0"]);
        await gateway.StartAsync();

        await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), "/q-marker?page=2&access_token=QSECRET1&%61pi_key=QSECRET2");

        var record = await JsonLines.WaitForAsync(config.JsonLinesPath, r => r.GetProperty("body").GetString()!.Contains("/q-marker", StringComparison.Ordinal));
        Assert.Equal("page=2&access_token=[REDACTED]&%61pi_key=[REDACTED]", record.Attributes().GetProperty("url.query").GetString());
        Assert.DoesNotContain("QSECRET", record.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain("QSECRET", File.ReadAllText(config.JsonLinesPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_RouteMetadataOverrides_ApplyOnlyOnThatRoute()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address, routes: """
            "narrow": { "ClusterId": "cluster1", "Match": { "Path": "/narrow/{**rest}" },
              "Metadata": { "HeaderLogging.Request.Mode": "Allowlist", "HeaderLogging.Request.Allowlist": "x-keep",
                            "HeaderLogging.Response.Mode": "None", "HeaderLogging.Redact": "x-tenant" } },
            """);
        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0"]);
        await gateway.StartAsync();

        await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), "/narrow/a", "X-Keep: k", "X-Other: o", "X-Tenant: t");
        await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), "/wide/a", "X-Keep: k", "X-Other: o", "X-Tenant: t");

        var narrow = await AccessWithMarker(config, "/narrow/a");
        var wide = await AccessWithMarker(config, "/wide/a");
        var narrowHeaders = narrow.EnumerateObject().Select(p => p.Name).Where(n => n.StartsWith("http.", StringComparison.Ordinal) && n.Contains(".header.", StringComparison.Ordinal)).ToList();
        Assert.Equal(["http.request.header.x-keep"], narrowHeaders);
        Assert.Equal("narrow", narrow.GetProperty("gateway.route.id").GetString());
        Assert.Equal("o", wide.GetProperty("http.request.header.x-other")[0].GetString());
        Assert.Equal("t", wide.GetProperty("http.request.header.x-tenant")[0].GetString());
        Assert.True(wide.TryGetProperty("http.response.header.x-backend", out _));
    }

    [Fact]
    public async Task Request_HostileHeaderValues_EveryJsonLineStaysOneObjectWithTheValueEscaped()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address, """{ "MaxValueBytes": 64, "MaxHeaders": 20 }""");
        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0"]);
        await gateway.StartAsync();
        using var connection = await KeepAliveConnection.OpenAsync(new Uri(gateway.Addresses[0]));
        var manyHeaders = Enumerable.Range(0, 60).Select(i => $"X-Many-{i}: {i}").ToArray();

        var control = await connection.SendAsync("GET /hostile-ctl HTTP/1.1\r\nHost: h\r\nX-Evil: a\u0001b\u001b[31mred\u007f\r\n\r\n"u8.ToArray());

        // Kestrel accepts UTF-8 header values; the upstream HttpClient refuses to send non-ASCII ones, so YARP answers 502.
        var utf8 = await connection.SendAsync("GET /hostile-utf8 HTTP/1.1\r\nHost: h\r\nX-Utf8: caf\u00e9 \u2028 \ud83c\udf89\r\n\r\n"u8.ToArray());
        var many = await connection.GetAsync("/hostile-many", manyHeaders);
        var longValue = await connection.GetAsync("/hostile-long", "X-Long: " + new string('v', 5000));

        Assert.Equal(200, control.Status);
        Assert.Equal(502, utf8.Status);
        Assert.Equal(200, many.Status);
        Assert.Equal(200, longValue.Status);
        var evil = await AccessWithMarker(config, "/hostile-ctl");
        Assert.Equal("a\u0001b\u001b[31mred\u007f", evil.GetProperty("http.request.header.x-evil")[0].GetString());
        var utf8Record = await AccessWithMarker(config, "/hostile-utf8");
        Assert.Equal("caf\u00e9 \u2028 \ud83c\udf89", utf8Record.GetProperty("http.request.header.x-utf8")[0].GetString());
        Assert.Equal(502, utf8Record.GetProperty("http.response.status_code").GetInt32());
        var manyRecord = await AccessWithMarker(config, "/hostile-many");
        Assert.True(manyRecord.GetProperty("gateway.request.headers_dropped").GetInt32() > 0);
        Assert.Equal(20, manyRecord.GetProperty("gateway.request.header_order").GetArrayLength());
        var longRecord = await AccessWithMarker(config, "/hostile-long");
        Assert.Equal(new string('v', 64) + "…[truncated]", longRecord.GetProperty("http.request.header.x-long")[0].GetString());

        // Raw file: one JSON object per line, no raw control character anywhere.
        var text = File.ReadAllText(config.JsonLinesPath);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(line).RootElement.ValueKind);
            Assert.DoesNotContain(line, c => c < 0x20 || c == '\u2028' || c == '\u2029');
        }
    }

    [Theory]
    [InlineData("invalid-utf8", new byte[] { 0xE9, 0xFF, 0x80 }, 400)]
    [InlineData("bare-cr", new byte[] { (byte)'a', 0x0D, (byte)'b' }, 400)]
    [InlineData("nul", new byte[] { (byte)'a', 0x00, (byte)'b' }, 400)]
    public async Task Request_BytesKestrelRefuses_400AndTheConnectionRecordIsStillOneValidLine(string name, byte[] value, int expected)
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address);
        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0"]);
        await gateway.StartAsync();
        using var connection = await KeepAliveConnection.OpenAsync(new Uri(gateway.Addresses[0]));
        var port = connection.LocalPort;

        var request = "GET /refused HTTP/1.1\r\nHost: h\r\nX-Bin: "u8.ToArray().Concat(value).Concat("\r\n\r\n"u8.ToArray()).ToArray();
        var (status, _) = await connection.SendAsync(request);
        connection.Dispose();

        Assert.Equal(expected, status);
        var closed = await JsonLines.WaitForAsync(config.JsonLinesPath,
            r => r.GetProperty("event").GetString() == "wire.connection" && r.Attributes().GetProperty("network.peer.port").GetInt32() == port);
        Assert.Equal(JsonValueKind.Object, closed.ValueKind);
        Assert.DoesNotContain(JsonLines.ReadAll(config.JsonLinesPath), r => r.GetProperty("body").GetString()!.Contains("/refused", StringComparison.Ordinal));
        _ = name;
    }

    [Fact]
    public async Task Request_ThousandsOfHeaders_KestrelRefusesWith431AndNothingBreaks()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address);
        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0"]);
        await gateway.StartAsync();
        using var connection = await KeepAliveConnection.OpenAsync(new Uri(gateway.Addresses[0]));

        var (status, _) = await connection.GetAsync("/thousands", [.. Enumerable.Range(0, 3000).Select(i => $"X-Dup: {i}")]);

        Assert.Equal(431, status);
        var (_, after) = await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), "/after-thousands");
        Assert.StartsWith("HTTP/1.1 200", after, StringComparison.Ordinal);
        await JsonLines.WaitForAsync(config.JsonLinesPath, r => r.GetProperty("body").GetString()!.Contains("/after-thousands", StringComparison.Ordinal));
    }
}

using System.Text.Json;
using Gateway.Correlation;
using Gateway.Hosting;
using Gateway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.ClientIdentity;

/// <summary>client.address, the forwarded verdict and address privacy as the running gateway writes them.</summary>
public sealed class ClientIdentityHostTests
{
    private static async Task<JsonElement> Access(TestConfig config, string path) =>
        (await JsonLines.WaitForAsync(config.JsonLinesPath, r => r.GetProperty("event").GetString() == "gateway.access"
            && r.GetProperty("body").GetString()!.StartsWith($"GET {path} ", StringComparison.Ordinal))).Attributes();

    [Fact]
    public async Task Request_FromTrustedProxy_ClientAddressIsTheForwardedOneAndTrusted()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address, sections: """ "ClientIdentity": { "TrustedProxies": [ "127.0.0.0/8" ] }, """);
        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0"]);
        await gateway.StartAsync();

        await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), "/trusted", "X-Forwarded-For: 198.51.100.7, 127.0.0.2");
        await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), "/rfc7239", "Forwarded: for=\"[2001:db8::17]:4711\";proto=https");

        var trusted = await Access(config, "/trusted");
        Assert.Equal("198.51.100.7", trusted.GetProperty("client.address").GetString());
        Assert.False(trusted.TryGetProperty("client.port", out _));
        Assert.True(trusted.GetProperty("gateway.forwarded.trusted").GetBoolean());
        Assert.False(trusted.TryGetProperty("gateway.forwarded.mismatch", out _));
        Assert.Equal("127.0.0.1", trusted.GetProperty("network.peer.address").GetString());
        var rfc = await Access(config, "/rfc7239");
        Assert.Equal("2001:db8::17", rfc.GetProperty("client.address").GetString());
        Assert.Equal(4711, rfc.GetProperty("client.port").GetInt32());
    }

    [Fact]
    public async Task Request_ForwardedClaimWithoutTrustedProxy_IgnoredAndMarkedUntrusted()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address);
        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0"]);
        await gateway.StartAsync();

        await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), "/claim", "X-Forwarded-For: 198.51.100.7");
        await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), "/no-claim");

        var claim = await Access(config, "/claim");
        Assert.Equal("127.0.0.1", claim.GetProperty("client.address").GetString());
        Assert.False(claim.GetProperty("gateway.forwarded.trusted").GetBoolean());
        Assert.Equal("untrusted-peer", claim.GetProperty("gateway.forwarded.mismatch").GetString());
        var plain = await Access(config, "/no-claim");
        Assert.False(plain.TryGetProperty("gateway.forwarded.trusted", out _));
        Assert.False(plain.TryGetProperty("gateway.forwarded.mismatch", out _));
    }

    [Fact]
    public async Task Request_LocalClaimOverFarWire_IsATtlMismatchAndTheWireFactsStay()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address, sections: """ "ClientIdentity": { "TrustedProxies": [ "127.0.0.1" ], "LocalHopLimit": 8 }, """);
        var view = new RecordingWireView(new WireFacts { Ttl = 37, PacketsIn = 1 });
        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0"],
            services => services.AddSingleton<IWireView>(view));
        await gateway.StartAsync();

        await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), "/far", "X-Forwarded-For: 10.0.0.5");

        var far = await Access(config, "/far");
        Assert.Equal("ttl-far", far.GetProperty("gateway.forwarded.mismatch").GetString());
        Assert.True(far.GetProperty("gateway.forwarded.trusted").GetBoolean());
        Assert.Equal(37, far.GetProperty("wire.ip.ttl").GetInt32());
    }

    [Fact]
    public async Task Request_PrivacyTruncate_AddressesCutEverywhereWireFactsKeptForwardingHeadersRedacted()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address, sections: """ "ClientIdentity": { "Privacy": "Truncate" }, """);
        var view = new RecordingWireView(new WireFacts { Ttl = 64, PacketsIn = 3, BytesIn = 99 });
        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0"],
            services => services.AddSingleton<IWireView>(view));
        await gateway.StartAsync();

        var (port, _) = await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), "/private", "X-Forwarded-For: 198.51.100.7");

        var access = await Access(config, "/private");
        Assert.Equal("127.0.0.0", access.GetProperty("client.address").GetString());
        Assert.Equal("127.0.0.0", access.GetProperty("network.peer.address").GetString());
        Assert.Equal(64, access.GetProperty("wire.ip.ttl").GetInt32());
        Assert.Equal("[REDACTED]", access.GetProperty("http.request.header.x-forwarded-for")[0].GetString());
        var closed = await JsonLines.WaitForAsync(config.JsonLinesPath,
            r => r.GetProperty("event").GetString() == "wire.connection" && r.Attributes().GetProperty("network.peer.port").GetInt32() == port);
        Assert.Equal("127.0.0.0", closed.Attributes().GetProperty("network.peer.address").GetString());
        Assert.Contains($"<- 127.0.0.0:{port}", closed.GetProperty("body").GetString(), StringComparison.Ordinal);
        Assert.Equal(99, closed.Attributes().GetProperty("wire.conn.bytes_in").GetInt32());
        Assert.DoesNotContain("198.51.100.7", File.ReadAllText(config.JsonLinesPath), StringComparison.Ordinal);
    }
}

using System.Text.Json.Nodes;

namespace EndToEnd.Tests;

/// <summary>
/// <c>gateway.client.os_hint</c> and the <c>ua_os</c> claims check through the real gateway and the
/// kernel probe: the SYN's TTL set per socket (IP_TTL) moves the hint from this machine's Linux
/// stack to <c>unknown</c> (a Linux option layout from TTL 128 is no default stack).
/// </summary>
[Collection(HostLoopback.Name)]
public sealed class ClientOsHintTests : IAsyncLifetime
{
    private const string WindowsChrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    private Backend backend = null!;

    public async Task InitializeAsync() => backend = await Backend.StartAsync();

    public async Task DisposeAsync() => await backend.DisposeAsync();

    [SkippableFact]
    public async Task SynFromThisLinuxStack_IsLinux_AndAWindowsUserAgentOverItIsUaOs()
    {
        Ci.RequireRoot();
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url);
        var linux = await RequestAsync(gateway, ttl: 64, WindowsChrome);
        var raised = await RequestAsync(gateway, ttl: 128, WindowsChrome);
        var plain = await RequestAsync(gateway, ttl: 64, "curl/8.5.0");

        Assert.Equal("2-4-8-1-3", linux.Str("wire.tcp.options"));
        Assert.Equal("linux", linux.Str("gateway.client.os_hint"));
        Assert.Equal(["ua_os"], linux.Attributes()["gateway.client.claims_mismatch"]!.AsArray().Select(v => (string)v!));
        Assert.Equal("unknown", raised.Str("gateway.client.os_hint"));
        Assert.Null(raised.Attributes()["gateway.client.claims_mismatch"]);
        Assert.Equal("linux", plain.Str("gateway.client.os_hint"));
        Assert.Null(plain.Attributes()["gateway.client.claims_mismatch"]);
    }

    private static async Task<JsonObject> RequestAsync(GatewayProcess gateway, int ttl, string userAgent)
    {
        string id = Guid.NewGuid().ToString("N");
        using RawHttpClient client = await RawHttpClient.ConnectAsync(gateway.Url("ipv4"), ttl: ttl, tos: 0, mss: 1400);
        await client.GetAsync("/os-hint", ("X-Test-Id", id), ("User-Agent", userAgent));
        return (await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && r.HasHeader("x-test-id", id)))[0];
    }
}

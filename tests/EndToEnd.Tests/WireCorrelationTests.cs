using System.Text.Json.Nodes;

namespace EndToEnd.Tests;

/// <summary>
/// The spine end to end: a client whose socket options the test controls, the
/// real gateway process, a real backend; the access record must carry both the
/// L7 header and the wire facts of that very connection.
/// </summary>
[Collection(HostLoopback.Name)]
public sealed class WireCorrelationTests : IAsyncLifetime
{
    private Backend backend = null!;

    public async Task InitializeAsync() => backend = await Backend.StartAsync();

    public async Task DisposeAsync() => await backend.DisposeAsync();

    [SkippableTheory]
    [InlineData("ipv4")]
    [InlineData("ipv6")]
    public async Task Request_ClientSocketOptions_AccessRecordCarriesHeaderAndWireFacts(string family)
    {
        Ci.RequireRoot();
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url);
        string first = Guid.NewGuid().ToString("N");
        string second = Guid.NewGuid().ToString("N");

        using RawHttpClient client = await RawHttpClient.ConnectAsync(gateway.Url(family), ttl: 37, tos: 0x28, mss: 1200);
        (int status1, _) = await client.GetAsync("/api/items?page=2", ("X-Test-Id", first));
        (int status2, _) = await client.GetAsync("/api/items?page=3", ("X-Test-Id", second));

        Assert.Equal(200, status1);
        Assert.Equal(200, status2);
        JsonObject a = (await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && r.HasHeader("x-test-id", first)))[0];
        JsonObject b = (await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && r.HasHeader("x-test-id", second)))[0];

        Assert.True(a.Bool("wire.observed"), a.ToJsonString());
        Assert.Equal(37, a.Long("wire.ip.ttl"));
        Assert.Equal(10, a.Long("wire.ip.dscp"));
        Assert.Equal(0, a.Long("wire.ip.ecn"));
        Assert.Equal(1200, a.Long("wire.tcp.mss"));
        Assert.StartsWith("2-", a.Str("wire.tcp.options"), StringComparison.Ordinal);
        // JA4T (FoxIO License 1.1) is off unless KernelProbe:Ja4t asks for it; the raw fields above stay.
        Assert.False(a.Attributes().ContainsKey("wire.tcp.ja4t"), a.ToJsonString());
        Assert.Equal(client.LocalEndPoint.Port, a.Long("network.peer.port"));
        Assert.Equal(family, a.Str("network.type"));
        Assert.Equal(200, a.Long("http.response.status_code"));
        Assert.Equal("api", a.Str("gateway.route.id"));
        Assert.Equal("/api/items", a.Str("url.path"));

        // Same keep-alive connection: same peer, counters only grow. (The first record is built once its
        // response is written: by then the client may have sent the second request, which the totals so far include.)
        Assert.Equal(client.LocalEndPoint.Port, b.Long("network.peer.port"));
        Assert.Equal(37, b.Long("wire.ip.ttl"));
        Assert.True(b.Long("wire.conn.packets_in") >= a.Long("wire.conn.packets_in"), $"{a.ToJsonString()}\n{b.ToJsonString()}");
        Assert.True(b.Long("wire.conn.bytes_in") >= a.Long("wire.conn.bytes_in"));
        Assert.True(b.Long("wire.conn.bytes_in") >= a.Long("wire.request.bytes_in") + b.Long("wire.request.bytes_in"));
        Assert.True(b.Long("wire.conn.bytes_out") >= a.Long("wire.conn.bytes_out"));
        Assert.True(a.Long("wire.conn.bytes_in") > 0);
    }

    [SkippableFact]
    public async Task Requests_OnPooledUpstreamConnection_JoinTheConnectionThatCarriedThem()
    {
        Ci.RequireRoot();
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url);
        using RawHttpClient client = await RawHttpClient.ConnectAsync(gateway.Url("ipv4"), ttl: 64, tos: 0, mss: 1400);
        var seenByBackend = new List<int>();
        var ids = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            string id = Guid.NewGuid().ToString("N");
            ids.Add(id);
            (int status, string body) = await client.GetAsync("/pooled", ("X-Test-Id", id));
            Assert.Equal(200, status);
            seenByBackend.Add(JsonNode.Parse(body)!["remotePort"]!.GetValue<int>());
        }

        for (int i = 0; i < 3; i++)
        {
            JsonObject record = (await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && r.HasHeader("x-test-id", ids[i])))[0];
            Assert.True(record.Bool("wire.observed"));
        }
        // One pooled upstream connection carried all three.
        Assert.Single(seenByBackend.Distinct());
    }
}

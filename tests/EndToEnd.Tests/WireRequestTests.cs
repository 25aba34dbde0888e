using System.Text.Json.Nodes;

namespace EndToEnd.Tests;

/// <summary>
/// The per-request wire figures (<c>wire.request.*</c>) through the real gateway, checked
/// against what the client's own kernel counted for each exchange (TCP_INFO on the client
/// socket: the client's TCP stack, which the gateway's BPF programs never touch) and against
/// the bytes the client wrote and read.
/// </summary>
[Collection(HostLoopback.Name)]
public sealed class WireRequestTests : IAsyncLifetime
{
    private Backend backend = null!;

    public async Task InitializeAsync() => backend = await Backend.StartAsync();

    public async Task DisposeAsync() => await backend.DisposeAsync();

    [SkippableTheory]
    [InlineData("ipv4")]
    [InlineData("ipv6")]
    public async Task KeepAliveRequests_SpanningSegments_EachRecordHasExactlyWhatItsExchangeMoved(string family)
    {
        Ci.RequireRoot();
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url);
        // MSS 536: 600 to 3,000 bytes of headers take two to six segments; the 120 kB response some 230.
        using RawHttpClient client = await RawHttpClient.ConnectAsync(gateway.Url(family), ttl: 64, tos: 0, mss: 536);
        (string Path, int Padding)[] exchanges =
        [
            ("/first?size=300", 600),      // the connection's first request
            ("/large?size=120000", 3000),  // a response of many segments
            ("/after-large?size=50", 1500), // the request after a large response
            ("/small", 900),
        ];

        var expected = new List<(string Id, (long BytesIn, long BytesOut, long PacketsIn, long PacketsOut) Kernel, (int Sent, int Received) Bytes)>();
        var before = client.KernelCounts();
        foreach (var (path, padding) in exchanges)
        {
            string id = Guid.NewGuid().ToString("N");
            (int status, _) = await client.GetAsync(path, ("X-Test-Id", id), ("X-Padding", new string('p', padding)));
            Assert.Equal(200, status);
            var after = client.KernelCounts();
            expected.Add((id, (after.BytesSent - before.BytesSent, after.BytesReceived - before.BytesReceived,
                after.DataSegsOut - before.DataSegsOut, after.DataSegsIn - before.DataSegsIn), client.LastExchange));
            before = after;
        }

        foreach (var (id, kernel, bytes) in expected)
        {
            JsonObject record = (await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && r.HasHeader("x-test-id", id)))[0];
            string said = $"{record.Str("url.path")}: {record.ToJsonString()}";
            Assert.Null(record.Attributes()["wire.request.omitted"]);
            // What the client sent for this request and what it received: the whole response.
            Assert.True(bytes.Sent == kernel.BytesIn && bytes.Received == kernel.BytesOut, $"client counts disagree: {bytes} vs {kernel}");
            Assert.True(kernel.BytesIn == record.Long("wire.request.bytes_in"), $"bytes_in {kernel.BytesIn} expected; {said}");
            Assert.True(kernel.BytesOut == record.Long("wire.request.bytes_out"), $"bytes_out {kernel.BytesOut} expected; {said}");
            Assert.True(kernel.PacketsIn == record.Long("wire.request.packets_in"), $"packets_in {kernel.PacketsIn} expected; {said}");
            Assert.True(kernel.PacketsOut == record.Long("wire.request.packets_out"), $"packets_out {kernel.PacketsOut} expected; {said}");
            // A busy machine may send a segment again even on lo: the client receives it again, and both count it.
            Assert.InRange(record.Long("wire.request.retransmits_out"), 0, kernel.PacketsOut);
        }

        // The headers really spanned segments, and the large response many more.
        Assert.InRange(expected[1].Kernel.PacketsIn, 6, 12);
        Assert.True(expected[1].Kernel.PacketsOut > 200, $"{expected[1].Kernel}");
    }
}

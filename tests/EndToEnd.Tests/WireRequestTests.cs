using System.Text.Json.Nodes;
using OtlpReceiver;

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

    [SkippableFact]
    public async Task SlowReader_ResponseStillLeavingLongAfterItsRequestEnded_RecordStillHasExactlyWhatItsExchangeMoved()
    {
        Ci.RequireRoot();
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url);
        // A small receive window and a client that waits before reading: the 200 kB response is still leaving
        // the gateway well after its request ended (on a busy machine a reader lags like this by itself).
        using RawHttpClient client = await RawHttpClient.ConnectAsync(gateway.Url("ipv4"), ttl: 64, tos: 0, mss: 536, receiveBuffer: 4096);
        client.ReadDelay = TimeSpan.FromMilliseconds(600);
        var expected = new List<(string Id, (long BytesSent, long BytesReceived, long DataSegsOut, long DataSegsIn) Kernel)>();
        var before = client.KernelCounts();
        foreach (string path in new[] { "/slow?size=200000", "/slow?size=100" })
        {
            string id = Guid.NewGuid().ToString("N");
            (int status, _) = await client.GetAsync(path, ("X-Test-Id", id));
            Assert.Equal(200, status);
            var after = client.KernelCounts();
            expected.Add((id, (after.BytesSent - before.BytesSent, after.BytesReceived - before.BytesReceived, after.DataSegsOut - before.DataSegsOut,
                after.DataSegsIn - before.DataSegsIn)));
            before = after;
        }

        foreach (var (id, kernel) in expected)
        {
            AssertExactly(kernel, (await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && r.HasHeader("x-test-id", id)))[0]);
        }
    }

    [SkippableFact]
    public async Task LoneRequest_ClientClosesRightAfterTheResponse_RecordHasItsExchangeAndTotalsAtLeastAsLarge()
    {
        Ci.RequireRoot();
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url);
        // curl's pattern: a fresh connection, one request, close as soon as the response is read. Bodies from
        // 5 bytes (headers and body leave in two writes) to 60 kB (still leaving when the request ends).
        int[] sizes = [5, 300, 20000, 5, 60000];
        var expected = new List<(string Id, (long BytesSent, long BytesReceived, long DataSegsOut, long DataSegsIn) Kernel)>();
        foreach (int size in sizes)
        {
            string id = Guid.NewGuid().ToString("N");
            using (RawHttpClient client = await RawHttpClient.ConnectAsync(gateway.Url("ipv4"), ttl: 64, tos: 0, mss: 536))
            {
                (int status, _) = await client.GetAsync($"/lone?size={size}", ("X-Test-Id", id));
                Assert.Equal(200, status);
                expected.Add((id, client.KernelCounts()));
            }
        }

        foreach (var (id, kernel) in expected)
        {
            AssertExactly(kernel, (await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && r.HasHeader("x-test-id", id)))[0]);
        }
    }

    [SkippableFact]
    public async Task UpstreamLeg_KeepAliveRequests_EachClientSpanHasExactlyWhatItsExchangeMovedOnTheBackendsSocket()
    {
        Ci.RequireRoot();
        await using CountingBackend counting = CountingBackend.Start();
        await using OtlpTestReceiver receiver = await OtlpTestReceiver.StartAsync();
        var env = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.GrpcEndpoint.ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "200",
        };
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(counting.Url, environment: env);
        using RawHttpClient client = await RawHttpClient.ConnectAsync(gateway.Url("ipv4"), ttl: 64, tos: 0, mss: 1400);
        // The first request opens the upstream connection; a large response, the request after it, a small one.
        (string Path, int Padding)[] exchanges = [("/up?size=300", 600), ("/up?size=120000", 3000), ("/up?size=50", 1500), ("/up", 900)];
        var traces = new List<string>();
        foreach (var (path, padding) in exchanges)
        {
            string trace = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
            traces.Add(trace);
            (int status, _) = await client.GetAsync(path, ("traceparent", $"00-{trace}-{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..16]}-01"),
                ("X-Padding", new string('p', padding)));
            Assert.Equal(200, status);
        }

        var seen = counting.Exchanges.ToArray();
        Assert.Equal(exchanges.Length, seen.Length);
        // One pooled upstream connection carried them all, one after the other.
        int port = Assert.Single(seen.Select(e => e.Port).Distinct());
        var final = counting.KernelSegments(port);
        for (int i = 0; i < seen.Length; i++)
        {
            ReceivedSpan span = await receiver.WaitForSpanAsync(s => s.Kind == OtlpSpanKind.Client && s.TraceId == traces[i], TimeSpan.FromSeconds(20));
            string said = $"exchange {i}: {string.Join(", ", span.Attributes.Where(a => a.Key.StartsWith("wire.", StringComparison.Ordinal)))}";
            Assert.Equal((long)port, span.Attributes["network.local.port"]);
            Assert.False(span.Attributes.ContainsKey("wire.request.omitted"), said);
            // The request as the backend read it, the response as it wrote it.
            Assert.True((long)seen[i].RequestBytes == (long?)span.Attributes["wire.request.bytes_out"], $"bytes_out {seen[i].RequestBytes} expected; {said}");
            Assert.True((long)seen[i].ResponseBytes == (long?)span.Attributes["wire.request.bytes_in"], $"bytes_in {seen[i].ResponseBytes} expected; {said}");
            // Segments as the backend's kernel counted them: the request's by the time it was read, the response's by the next read (or the end).
            long requestSegs = seen[i].SegsIn - (i == 0 ? 0 : seen[i - 1].SegsIn);
            long responseSegs = (i + 1 < seen.Length ? seen[i + 1].SegsOut : final.SegsOut) - seen[i].SegsOut;
            Assert.True(requestSegs == (long?)span.Attributes["wire.request.packets_out"], $"packets_out {requestSegs} expected; {said}");
            Assert.True(responseSegs == (long?)span.Attributes["wire.request.packets_in"], $"packets_in {responseSegs} expected; {said}");
            Assert.True((long)span.Attributes["wire.conn.bytes_in"]! >= seen[i].ResponseBytes, said);
        }
    }

    // The record's figures are exactly what the client's kernel counted for the exchange, and its totals,
    // read where its share was (after the whole response had left), are at least as large.
    private static void AssertExactly((long BytesSent, long BytesReceived, long DataSegsOut, long DataSegsIn) kernel, JsonObject record)
    {
        string said = record.ToJsonString();
        Assert.Null(record.Attributes()["wire.request.omitted"]);
        Assert.True(kernel.BytesSent == record.Long("wire.request.bytes_in"), $"bytes_in {kernel.BytesSent} expected; {said}");
        Assert.True(kernel.BytesReceived == record.Long("wire.request.bytes_out"), $"bytes_out {kernel.BytesReceived} expected; {said}");
        Assert.True(kernel.DataSegsOut == record.Long("wire.request.packets_in"), $"packets_in {kernel.DataSegsOut} expected; {said}");
        Assert.True(kernel.DataSegsIn == record.Long("wire.request.packets_out"), $"packets_out {kernel.DataSegsIn} expected; {said}");
        Assert.True(record.Long("wire.conn.bytes_out") >= record.Long("wire.request.bytes_out"), $"conn bytes_out below the request's; {said}");
        Assert.True(record.Long("wire.conn.bytes_in") >= record.Long("wire.request.bytes_in"), $"conn bytes_in below the request's; {said}");
        Assert.True(record.Long("wire.conn.packets_out") >= record.Long("wire.request.packets_out"), $"conn packets_out below the request's; {said}");
    }
}

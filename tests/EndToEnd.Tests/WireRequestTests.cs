using System.Net;
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
        // The probe's own counters (events the ring buffer dropped, packets by outcome) come with a failure.
        await using OtlpTestReceiver receiver = await OtlpTestReceiver.StartAsync();
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url, environment: ProbeMetricsTo(receiver));
        Uri url = gateway.Url(family);
        // MSS 536: 600 to 3,000 bytes of headers take two to six segments; the 120 kB response some 230.
        using RawHttpClient client = await RawHttpClient.ConnectAsync(url, ttl: 64, tos: 0, mss: 536);
        (string Path, int Padding)[] exchanges =
        [
            ("/first?size=300", 600),      // the connection's first request
            ("/large?size=120000", 3000),  // a response of many segments
            ("/after-large?size=50", 1500), // the request after a large response
            ("/small", 900),
        ];

        var opened = client.KernelCounts();
        var done = await ExchangeAllAsync(client, url, exchanges);
        var records = await RecordsOfAsync(gateway, done);

        var failures = Compare(done, records);
        if (failures.Count > 0)
        {
            Assert.Fail($"{string.Join("; ", failures)}\n{await ReportAsync(done, records, Subtract(client.KernelCounts(), opened), receiver)}");
        }

        // The headers really spanned segments, and the large response many more.
        Assert.InRange(done[1].Kernel.PacketsIn, 6, 12);
        Assert.True(done[1].Kernel.PacketsOut > 200, $"{done[1].Kernel}");
    }

    [SkippableFact]
    public async Task KeepAliveRequests_ClientsAcknowledgmentsLost_SegmentsSentAgainAfterTheResponseLeftCountWithIt()
    {
        Ci.RequireRoot();
        const string Client = "198.19.23.2";
        // The client in a network namespace of its own behind a veth pair, which the gateway's probe watches.
        using var peers = new PeerNamespace("198.19.23", 2);
        await using OtlpTestReceiver receiver = await OtlpTestReceiver.StartAsync();
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url, urls: $"http://{peers.HostAddress}:0", environment: ProbeMetricsTo(receiver),
            configure: config => config["KernelProbe"]!["Interfaces"] = new JsonArray("lo", peers.HostInterface));
        Uri url = gateway.Urls.Single();
        using RawHttpClient client = peers.Run(() => RawHttpClient.ConnectAsync(url, ttl: 64, tos: 0, mss: 536, source: IPAddress.Parse(Client)).GetAwaiter().GetResult());
        (string Path, int Padding)[] exchanges =
        [
            ("/first?size=300", 600),
            ("/tail?size=3000", 900),  // six segments, whose acknowledgments the client's side loses
            ("/after-tail?size=50", 1500),
            ("/small", 900),
        ];
        const int Lossy = 1;

        // During /tail, every acknowledgment without payload from the client is lost on its way out, so the gateway
        // has the response's last segment unacknowledged and sends it again (a tail loss probe, then a timeout)
        // after the response's last byte first left. Once it has, the loss stops, and the next segment it sends
        // again is acknowledged. Without the loss every segment would be acknowledged in time.
        var opened = client.KernelCounts();
        IPEndPoint gatewayEnd = new(IPAddress.Parse(url.Host), url.Port);
        var done = await ExchangeAllAsync(client, url, exchanges,
            beforeRequest: i =>
            {
                if (i == Lossy)
                {
                    peers.AddTable("khg_ack_loss", $$"""
                        table inet khg_ack_loss {
                          chain output {
                            type filter hook output priority 0; policy accept;
                            ip saddr {{Client}} ip daddr {{peers.HostAddress}} tcp dport {{url.Port}} tcp flags & (fin|syn|rst|ack) == ack meta length < 120 counter drop
                          }
                        }
                        """);
                }

                return Task.CompletedTask;
            },
            afterResponse: async i =>
            {
                if (i == Lossy)
                {
                    var deadline = DateTime.UtcNow.AddSeconds(20);
                    while (GatewaySocket.TotalRetransmits(GatewaySocket.Info(gatewayEnd, client.LocalEndPoint)) == 0)
                    {
                        Assert.True(DateTime.UtcNow < deadline, "the gateway never sent a segment of /tail again");
                        await Task.Delay(5);
                    }

                    peers.Nft("delete", "table", "inet", "khg_ack_loss");
                }
            });
        var records = await RecordsOfAsync(gateway, done);

        var failures = Compare(done, records);
        if (failures.Count > 0)
        {
            Assert.Fail($"{string.Join("; ", failures)}\n{await ReportAsync(done, records, Subtract(client.KernelCounts(), opened), receiver)}");
        }

        // The loss made the gateway send segments of /tail again after all of it had left, and nothing else.
        Assert.True(done[Lossy].Retransmits > 0, $"{done[Lossy]}");
        Assert.True(done[Lossy].Kernel.PacketsOut > 6, $"{done[Lossy]}");
        Assert.All(done.Where((_, i) => i != Lossy), e => Assert.Equal(0, e.Retransmits));
    }

    // One exchange on a keep-alive connection, as the kernels at its two ends counted it: the client's (TCP_INFO:
    // bytes and segments with payload, each way) and the gateway's (ss: segments it sent again).
    private sealed record Exchange(string Path, string Id, (long BytesIn, long BytesOut, long PacketsIn, long PacketsOut) Kernel,
        (int Sent, int Received) Bytes, long Retransmits);

    // The exchanges one after the other. Each is counted once the client has acknowledged the whole response and
    // the gateway's kernel knows it: from then on none of the response is sent again, so the client has every
    // segment of it (even one sent again after the response's last byte first left, which a client counting as
    // soon as it read the response could miss and count with the next exchange).
    private static async Task<List<Exchange>> ExchangeAllAsync(RawHttpClient client, Uri url, (string Path, int Padding)[] exchanges,
        Func<int, Task>? beforeRequest = null, Func<int, Task>? afterResponse = null)
    {
        IPEndPoint gatewayEnd = new(IPAddress.Parse(url.Host.Trim('[', ']')), url.Port);
        var done = new List<Exchange>();
        var before = client.KernelCounts();
        long retransmitted = 0;
        for (int i = 0; i < exchanges.Length; i++)
        {
            var (path, padding) = exchanges[i];
            string id = Guid.NewGuid().ToString("N");
            if (beforeRequest is not null)
                await beforeRequest(i);
            (int status, _) = await client.GetAsync(path, ("X-Test-Id", id), ("X-Padding", new string('p', padding)));
            Assert.Equal(200, status);
            if (afterResponse is not null)
                await afterResponse(i);
            client.AcknowledgeNow();
            string info = await GatewaySocket.WaitUntilAcknowledgedAsync(gatewayEnd, client.LocalEndPoint, TimeSpan.FromSeconds(30));
            // A segment sent again as the acknowledgment crossed it may still be on its way: a moment for it to arrive.
            await Task.Delay(20);
            var after = client.KernelCounts();
            long total = GatewaySocket.TotalRetransmits(info);
            done.Add(new Exchange(path, id, (after.BytesSent - before.BytesSent, after.BytesReceived - before.BytesReceived,
                after.DataSegsOut - before.DataSegsOut, after.DataSegsIn - before.DataSegsIn), client.LastExchange, total - retransmitted));
            before = after;
            retransmitted = total;
        }

        return done;
    }

    private static async Task<List<JsonObject>> RecordsOfAsync(GatewayProcess gateway, List<Exchange> done)
    {
        var records = new List<JsonObject>();
        foreach (var exchange in done)
        {
            records.Add((await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && r.HasHeader("x-test-id", exchange.Id)))[0]);
        }

        return records;
    }

    // Every figure of every exchange's record against the kernels' counts: bytes and segments each way as the
    // client's kernel counted them, segments sent again as the gateway's did. Every difference, not the first.
    private static List<string> Compare(List<Exchange> done, List<JsonObject> records)
    {
        var failures = new List<string>();
        for (int i = 0; i < done.Count; i++)
        {
            var (path, _, kernel, bytes, retransmits) = done[i];
            JsonObject record = records[i];
            if (record.Attributes()["wire.request.omitted"] is { } omitted)
            {
                failures.Add($"{path}: left out ({omitted})");
                continue;
            }

            // What the client sent for this request and what it received: the whole response.
            if (bytes.Sent != kernel.BytesIn || bytes.Received != kernel.BytesOut)
                failures.Add($"{path}: client counts disagree: {bytes} vs {kernel}");
            Expect(failures, path, "bytes_in", kernel.BytesIn, record);
            Expect(failures, path, "bytes_out", kernel.BytesOut, record);
            Expect(failures, path, "packets_in", kernel.PacketsIn, record);
            // A segment sent again is received again, and both ends count it with the response whose bytes it carries.
            Expect(failures, path, "packets_out", kernel.PacketsOut, record);
            long recorded = record.Long("wire.request.retransmits_out");
            if (recorded != retransmits)
                failures.Add($"{path}: retransmits_out {recorded}, the gateway's kernel sent {retransmits} segments again");
        }

        return failures;
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

    private static void Expect(List<string> failures, string path, string figure, long expected, JsonObject record)
    {
        long actual = record.Long($"wire.request.{figure}");
        if (actual != expected)
            failures.Add($"{path}: {figure} {actual}, the client's kernel counted {expected}");
    }

    private static (long, long, long, long) Subtract((long, long, long, long) a, (long, long, long, long) b) =>
        (a.Item1 - b.Item1, a.Item2 - b.Item2, a.Item3 - b.Item3, a.Item4 - b.Item4);

    private static Dictionary<string, string> ProbeMetricsTo(OtlpTestReceiver receiver) => new()
    {
        ["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"] = receiver.GrpcEndpoint.ToString(),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "300",
    };

    // Every exchange as the kernels counted it and as its record has it, the connection's totals against the
    // records' sum, and the probe's counters (the latest metrics export after the exchanges).
    private static async Task<string> ReportAsync(List<Exchange> done, IReadOnlyList<JsonObject> records,
        (long BytesIn, long BytesOut, long PacketsIn, long PacketsOut) total, OtlpTestReceiver receiver)
    {
        static string Figure(JsonObject record, string name) => record.Attributes()[name]?.ToJsonString() ?? "-";

        var report = new System.Text.StringBuilder("exchange: client kernel bytes in/out, data segments in/out, gateway kernel segments sent again | record wire.request bytes_in/out, packets_in/out, retransmits_out | wire.conn bytes_in/out, packets_in/out\n");
        long sumPacketsIn = 0, sumPacketsOut = 0;
        for (int i = 0; i < records.Count; i++)
        {
            JsonObject r = records[i];
            var (path, _, kernel, _, retransmits) = done[i];
            report.Append($"  {path}: {kernel.BytesIn}/{kernel.BytesOut}, {kernel.PacketsIn}/{kernel.PacketsOut}, {retransmits}");
            report.Append($" | {Figure(r, "wire.request.bytes_in")}/{Figure(r, "wire.request.bytes_out")}, {Figure(r, "wire.request.packets_in")}/{Figure(r, "wire.request.packets_out")}, {Figure(r, "wire.request.retransmits_out")}");
            report.Append($" | {Figure(r, "wire.conn.bytes_in")}/{Figure(r, "wire.conn.bytes_out")}, {Figure(r, "wire.conn.packets_in")}/{Figure(r, "wire.conn.packets_out")}");
            if (r.Attributes()["wire.request.omitted"] is { } omitted)
                report.Append($" omitted {omitted}");
            report.Append('\n');
            sumPacketsIn += r.Attributes()["wire.request.packets_in"]?.GetValue<long>() ?? 0;
            sumPacketsOut += r.Attributes()["wire.request.packets_out"]?.GetValue<long>() ?? 0;
        }

        report.Append($"  connection: client kernel data segments in/out {total.PacketsIn}/{total.PacketsOut} (handshake excluded), records' packets_in/out summed {sumPacketsIn}/{sumPacketsOut}\n");
        int exports = receiver.ExportRequestCount(OtlpSignal.Metrics);
        try
        {
            await receiver.WaitForExportRequestsAsync(OtlpSignal.Metrics, exports + 1, TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            report.Append("  (no metrics export within 5 s; the probe's counters below may be older)\n");
        }

        var points = receiver.MetricPoints;
        report.Append($"  probe: gateway.probe.events.dropped {points.GetValueOrDefault("gateway.probe.events.dropped", double.NaN)}; ");
        report.Append(string.Join(", ", points.Where(p => p.Key.StartsWith("gateway.probe.packets{", StringComparison.Ordinal)).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key["gateway.probe.packets".Length..]} {p.Value}")));
        return report.ToString();
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

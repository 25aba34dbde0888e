using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using OtlpReceiver;

namespace EndToEnd.Tests;

/// <summary>
/// The deeper wire view through the real gateway: handshake facts, per-request
/// deltas, kernel events as span events, anomaly records, probe metrics.
/// </summary>
[Collection(HostLoopback.Name)]
public sealed class WireEventsTests : IAsyncLifetime
{
    private Backend backend = null!;
    private OtlpTestReceiver receiver = null!;

    public async Task InitializeAsync()
    {
        backend = await Backend.StartAsync();
        receiver = await OtlpTestReceiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await receiver.DisposeAsync();
        await backend.DisposeAsync();
    }

    [SkippableFact]
    public async Task KeepAliveRequests_AccessRecords_CarryHandshakeFactsAndPerRequestDeltas()
    {
        Ci.RequireRoot();
        // JA4T asked for explicitly: it is off by default (see WireCorrelationTests).
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url, configure: c => c["KernelProbe"]!["Ja4t"] = true);
        string first = Guid.NewGuid().ToString("N");
        string second = Guid.NewGuid().ToString("N");
        using RawHttpClient client = await RawHttpClient.ConnectAsync(gateway.Url("ipv4"), ttl: 64, tos: 0, mss: 1300);
        await client.GetAsync("/one", ("X-Test-Id", first));
        await client.GetAsync("/two-with-a-longer-path", ("X-Test-Id", second), ("X-Padding", new string('p', 500)));

        JsonObject a = (await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && r.HasHeader("x-test-id", first)))[0];
        JsonObject b = (await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && r.HasHeader("x-test-id", second)))[0];

        // JA4T layout from the record's own handshake fields.
        string expected = $"{a.Long("wire.tcp.window")}_{a.Str("wire.tcp.options")}_{a.Long("wire.tcp.mss")}_{a.Long("wire.tcp.wscale")}";
        Assert.Equal(expected, a.Str("wire.tcp.ja4t"));
        Assert.Equal(1300, a.Long("wire.tcp.mss"));
        Assert.True(a.Bool("wire.ip.df"));
        Assert.InRange(a.Long("wire.tcp.handshake_rtt_us"), 1, 1_000_000);
        Assert.Equal(0, a.Long("wire.conn.retransmits_out"));
        Assert.Equal(0, a.Long("wire.ip.ttl_changes"));
        Assert.Null(a.Attributes()["wire.conn.reset_by"]);

        // Each request's own share (WireRequestTests checks the figures exactly): within the connection's totals.
        Assert.True(a.Long("wire.request.bytes_in") + b.Long("wire.request.bytes_in") <= b.Long("wire.conn.bytes_in"));
        Assert.True(b.Long("wire.request.bytes_in") > 500, "the second request carried a 500-byte header");
        Assert.True(b.Long("wire.request.packets_in") >= 1);
        Assert.True(b.Long("wire.request.bytes_out") > 0);
    }

    [SkippableFact]
    public async Task BackendResetsMidResponse_ClientSpanShowsTheResetAsEvent()
    {
        Ci.RequireRoot();
        using var resetter = new ResettingBackend();
        var env = Otlp();
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(resetter.Url, environment: env);
        string id = Guid.NewGuid().ToString("N");
        using RawHttpClient client = await RawHttpClient.ConnectAsync(gateway.Url("ipv4"), 64, 0, 1400);
        try
        {
            await client.GetAsync("/reset-me", ("X-Test-Id", id));
        }
        catch (IOException)
        {
            // The gateway may abort the client's response once the upstream one broke.
        }

        TimeSpan wait = TimeSpan.FromSeconds(20);
        ReceivedSpan server = await receiver.WaitForSpanAsync(s => s.Kind == OtlpSpanKind.Server && HasHeader(s.Attributes, id), wait);
        ReceivedSpan upstream = await receiver.WaitForSpanAsync(s => s.Kind == OtlpSpanKind.Client && s.ParentSpanId == server.SpanId, wait);

        ReceivedSpanEvent reset = Assert.Single(upstream.Events, e => e.Name == "wire.reset");
        Assert.Equal("in", reset.Attributes["wire.event.direction"]);
        Assert.Equal("peer", upstream.Attributes["wire.conn.reset_by"]);
        Assert.True(resetter.Resets >= 1);
    }

    [SkippableFact]
    public async Task ClientResetsIdleConnection_AnomalyRecordNamesTheConnection()
    {
        Ci.RequireRoot();
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url);
        Uri url = gateway.Url("ipv4");
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, url.Port);
        int port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        await Task.Delay(200);
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();

        JsonObject anomaly = (await gateway.WaitForRecordsAsync(r => r.Event() == "wire.anomaly" && r.Attributes()["network.peer.port"]?.GetValue<long>() == port))[0];
        Assert.Equal("reset", anomaly.Str("wire.anomaly.kind"));
        Assert.Equal("in", anomaly.Str("wire.event.direction"));
        Assert.Contains("no request in flight", (string?)anomaly["body"], StringComparison.Ordinal);
        await gateway.WaitForOutputAsync($"WIRE wire reset on 127.0.0.1:{url.Port} <- 127.0.0.1:{port}");
    }

    [SkippableFact]
    public async Task SynNeverCompleted_AnomalyRecordAfterTimeout()
    {
        Ci.RequireRoot();
        var env = new Dictionary<string, string> { ["KernelProbe__HandshakeTimeoutSeconds"] = "1" };
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url, environment: env);
        int gatewayPort = gateway.Url("ipv4").Port;
        const int fakeClientPort = 61007;

        // A bare SYN from a port no socket owns: the kernel answers our SYN-ACK with a
        // reset, and the handshake never completes.
        using (var raw = new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Tcp))
            raw.SendTo(Syn(fakeClientPort, gatewayPort), new IPEndPoint(IPAddress.Loopback, 0));

        JsonObject anomaly = (await gateway.WaitForRecordsAsync(
            r => r.Event() == "wire.anomaly" && r.Attributes()["network.peer.port"]?.GetValue<long>() == fakeClientPort
                 && (string?)r.Attributes()["wire.anomaly.kind"] == "handshake_incomplete", timeoutSeconds: 20))[0];
        Assert.True(anomaly.Long("wire.anomaly.handshake_age_ms") >= 1000);
        Assert.Equal(gatewayPort, anomaly.Long("network.local.port"));
    }

    [SkippableFact]
    public async Task OtlpMetrics_IncludeProbeCountersAndRingBufferLoss()
    {
        Ci.RequireRoot();
        var env = Otlp();
        env["OTEL_METRIC_EXPORT_INTERVAL"] = "300";
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url, environment: env);
        using RawHttpClient client = await RawHttpClient.ConnectAsync(gateway.Url("ipv4"), 64, 0, 1400);
        await client.GetAsync("/metrics-please");

        await receiver.WaitForExportRequestsAsync(OtlpSignal.Metrics, 2, TimeSpan.FromSeconds(20));
        Assert.Contains("gateway.probe.packets", receiver.MetricNames);
        Assert.Contains("gateway.probe.events.dropped", receiver.MetricNames);
    }

    private Dictionary<string, string> Otlp() => new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.GrpcEndpoint.ToString(),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        ["OTEL_BLRP_SCHEDULE_DELAY"] = "200",
    };

    private static bool HasHeader(IReadOnlyDictionary<string, object?> attributes, string id) =>
        attributes.TryGetValue("http.request.header.x-test-id", out object? value) && value is object?[] values && values.Contains(id);

    /// <summary>A TCP SYN with an MSS option and its checksum, for 127.0.0.1 to 127.0.0.1.</summary>
    private static byte[] Syn(int sourcePort, int destinationPort)
    {
        byte[] tcp = new byte[24];
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(0), (ushort)sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), (ushort)destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), 424242);
        tcp[12] = 6 << 4;
        tcp[13] = 0x02;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), 64240);
        tcp[20] = 2;
        tcp[21] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(22), 1460);
        uint sum = 0x7f00 + 0x0001 + 0x7f00 + 0x0001 + 6 + (uint)tcp.Length;
        for (int i = 0; i < tcp.Length; i += 2)
            sum += (uint)((tcp[i] << 8) | tcp[i + 1]);
        while (sum >> 16 != 0)
            sum = (sum & 0xffff) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(16), (ushort)~sum);
        return tcp;
    }

    /// <summary>A backend that sends half a response and then resets the connection.</summary>
    private sealed class ResettingBackend : IDisposable
    {
        private readonly Socket listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly CancellationTokenSource stop = new();
        private int resets;

        public ResettingBackend()
        {
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen();
            _ = Task.Run(() => LoopbackAccept.EachAsync(listener, ServeAsync, stop.Token));
        }

        public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndPoint!).Port}/");

        public int Resets => Volatile.Read(ref resets);

        private async Task ServeAsync(Socket connection)
        {
            using (connection)
            {
                byte[] buffer = new byte[8192];
                var head = new StringBuilder();
                while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    int n = await connection.ReceiveAsync(buffer);
                    if (n == 0)
                        return;
                    head.Append(Encoding.ASCII.GetString(buffer, 0, n));
                }
                await connection.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nContent-Type: text/plain\r\n\r\n"));
                await connection.SendAsync(new byte[1000]);
                await Task.Delay(100);
                connection.LingerState = new LingerOption(true, 0);
                Interlocked.Increment(ref resets);
            }
        }

        public void Dispose()
        {
            stop.Cancel();
            listener.Dispose();
        }
    }
}

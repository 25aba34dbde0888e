using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using Gateway.Correlation;
using Gateway.Hosting;
using Gateway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Forwarding;

/// <summary>WebSockets and server-sent events through the gateway over real sockets, and the records they leave.</summary>
public sealed class LongLivedStreamTests
{
    [Fact]
    public async Task WebSocket_EchoesThroughTheGateway_RecordsThe101AtTheUpgradeAndTheConnectionTotalsWhenItCloses()
    {
        await using var backend = await StreamingBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address);
        var view = new RecordingWireView(new WireFacts { Ttl = 64, PacketsIn = 12, PacketsOut = 11, BytesIn = 345, BytesOut = 678 });
        var spans = new TraceSpanCollector();
        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0"], s =>
        {
            s.AddSingleton<IWireView>(view);
            s.AddSingleton<Gateway.Telemetry.Records.TelemetrySink>(spans);
        });
        await gateway.StartAsync();
        var id = Guid.NewGuid().ToString("N")[..12];
        var trace = spans.NewTrace(id);

        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("traceparent", TraceSpanCollector.Header(trace));
        var session = Stopwatch.StartNew();
        await socket.ConnectAsync(new Uri(gateway.Addresses[0].Replace("http://", "ws://", StringComparison.Ordinal) + "/ws/" + id), CancellationToken.None);
        var buffer = new byte[256];
        async Task Echo(int i)
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes($"message {i}"), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            Assert.Equal($"message {i}", Encoding.UTF8.GetString(buffer, 0, received.Count));
        }

        await Echo(0);
        // The upgrade's record is written at the 101, while the session goes on: its duration is the handshake's.
        var record = await JsonLines.WaitForAsync(config.JsonLinesPath, r => r.GetProperty("event").GetString() == "gateway.access"
            && r.Attributes().GetProperty("url.path").GetString() == "/ws/" + id);
        var upgradedAfter = session.Elapsed;
        Assert.Equal(WebSocketState.Open, socket.State);
        Assert.Equal(101, record.Attributes().GetProperty("http.response.status_code").GetInt32());
        Assert.True(record.HasHeader("http.request.header.upgrade", "websocket"));
        Assert.InRange(record.Attributes().GetProperty("gateway.request.duration_ms").GetDouble(), 0, upgradedAfter.TotalMilliseconds);
        // So are the spans: the server span and the upstream attempt's client span, which saw the destination's 101.
        var traced = await spans.WaitForAsync(s => s.Count(a => a.TraceId == trace) >= 2);
        var client = Assert.Single(traced, a => a.TraceId == trace && a.Kind == Gateway.Telemetry.Records.SpanKindCode.Client);
        Assert.Equal(101L, client.Tag("http.response.status_code"));

        for (int i = 1; i < 3; i++)
        {
            await Task.Delay(100);
            await Echo(i);
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        session.Stop();

        // The client's connection ends with the session: its wire.connection record carries the totals.
        var port = record.Attributes().GetProperty("network.peer.port").GetInt32();
        var closed = await JsonLines.WaitForAsync(config.JsonLinesPath, r => r.GetProperty("event").GetString() == "wire.connection"
            && r.Attributes().GetProperty("network.peer.port").GetInt32() == port);
        Assert.Equal(1, closed.Attributes().GetProperty("gateway.connection.requests").GetInt32());
        Assert.Equal(345, closed.Attributes().GetProperty("wire.conn.bytes_in").GetInt32());
        Assert.Equal(678, closed.Attributes().GetProperty("wire.conn.bytes_out").GetInt32());
        // One record for the request, none more when its tunnel closed.
        Assert.Single(JsonLines.ReadAll(config.JsonLinesPath), r => r.GetProperty("event").GetString() == "gateway.access"
            && r.Attributes().GetProperty("url.path").GetString() == "/ws/" + id);
        Assert.Equal(2, spans.Exported.Count(a => a.TraceId == trace));
    }

    [Fact]
    public async Task WebSocketOverHttp2_RecordsThe200ThatOpensTheTunnelWhileTheSessionGoesOn()
    {
        await using var backend = await StreamingBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address, sections: $$""" "Kestrel": { "Endpoints": { {{GrpcGateway.H2cEndpoint}} } }, """);
        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath]);
        await gateway.StartAsync();
        var id = Guid.NewGuid().ToString("N")[..12];

        using var handler = new SocketsHttpHandler();
        using var invoker = new HttpMessageInvoker(handler);
        using var socket = new ClientWebSocket();
        socket.Options.HttpVersion = System.Net.HttpVersion.Version20;
        socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        socket.Options.CollectHttpResponseDetails = true;
        await socket.ConnectAsync(new Uri(gateway.Addresses[0].Replace("http://", "ws://", StringComparison.Ordinal) + "/ws/" + id), invoker, CancellationToken.None);
        Assert.Equal(System.Net.HttpStatusCode.OK, socket.HttpStatusCode);
        var buffer = new byte[256];
        async Task Echo(int i)
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes($"message {i}"), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            Assert.Equal($"message {i}", Encoding.UTF8.GetString(buffer, 0, received.Count));
        }

        await Echo(0);
        // Recorded at the 200 of the extended CONNECT (RFC 8441), while the session is open.
        var record = await JsonLines.WaitForAsync(config.JsonLinesPath, r => r.GetProperty("event").GetString() == "gateway.access"
            && r.Attributes().GetProperty("url.path").GetString() == "/ws/" + id);
        Assert.Equal(WebSocketState.Open, socket.State);
        Assert.Equal(200, record.Attributes().GetProperty("http.response.status_code").GetInt32());
        Assert.Equal("2", record.Attributes().GetProperty("network.protocol.version").GetString());
        await Echo(1);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        await Task.Delay(100);
        Assert.Single(JsonLines.ReadAll(config.JsonLinesPath), r => r.GetProperty("event").GetString() == "gateway.access"
            && r.Attributes().GetProperty("url.path").GetString() == "/ws/" + id);
    }

    [Fact]
    public async Task ServerSentEvents_ArriveOneByOneAndTheStreamLeavesOneRecordWhenItEnds()
    {
        await using var backend = await StreamingBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address);
        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0"]);
        await gateway.StartAsync();
        var id = Guid.NewGuid().ToString("N")[..12];

        using var client = new HttpClient();
        var clock = Stopwatch.StartNew();
        using var response = await client.GetAsync(gateway.Addresses[0] + $"/events/{id}?count=5&gap=150", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("id: 0", await reader.ReadLineAsync());
        // The first event is through while the backend is still writing: the gateway does not buffer the stream.
        var firstEvent = clock.Elapsed;
        var rest = await reader.ReadToEndAsync();
        var whole = clock.Elapsed;
        Assert.Contains("data: event 4", rest, StringComparison.Ordinal);
        Assert.True(whole - firstEvent >= TimeSpan.FromMilliseconds(500), $"first event at {firstEvent}, end at {whole}");

        var record = await JsonLines.WaitForAsync(config.JsonLinesPath, r => r.GetProperty("event").GetString() == "gateway.access"
            && r.Attributes().GetProperty("url.path").GetString() == "/events/" + id);
        Assert.True(record.HasHeader("http.response.header.content-type", "text/event-stream"));
        Assert.True(record.Attributes().GetProperty("gateway.request.duration_ms").GetDouble() >= 600);
        await Task.Delay(100);
        Assert.Single(JsonLines.ReadAll(config.JsonLinesPath), r => r.GetProperty("event").GetString() == "gateway.access"
            && r.Attributes().GetProperty("url.path").GetString() == "/events/" + id);
    }
}

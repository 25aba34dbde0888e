using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Json.Nodes;

namespace EndToEnd.Tests;

/// <summary>
/// A WebSocket over HTTP/2 (RFC 8441 extended CONNECT) through the real gateway with the kernel probe on:
/// the record written at the 200 that opens the tunnel has the connection's facts but no per-request
/// figures (streams interleave on one HTTP/2 connection, docs/attributes.md "Per-request figures"), and
/// the connection's <c>wire.connection</c> record, written when it closes, carries what the session moved.
/// </summary>
[Collection(HostLoopback.Name)]
public sealed class WebSocketWireTests : IAsyncLifetime
{
    private const int Messages = 8;
    private const int MessageBytes = 40_000;
    // What may cross the connection after the client's last count: the close frames, the end of the stream, GOAWAY, a PING.
    private const long ClosingSlack = 4096;

    private Backend backend = null!;

    public async Task InitializeAsync() => backend = await Backend.StartAsync();

    public async Task DisposeAsync() => await backend.DisposeAsync();

    [SkippableFact]
    public async Task WebSocketOverHttp2_RealProbe_RecordAtThe200IsMarkedMultiplexedAndTheConnectionRecordCarriesTheSession()
    {
        Ci.RequireRoot();
        // The gateway's listener speaks HTTP/2 with prior knowledge (h2c); its cluster stays HTTP/1.1, so YARP
        // opens the backend's WebSocket with an HTTP/1.1 upgrade.
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url, urls: "http://127.0.0.1:0", configure: config =>
            config["Kestrel"] = new JsonObject
            {
                ["Endpoints"] = new JsonObject { ["h2c"] = new JsonObject { ["Url"] = "http://127.0.0.1:0", ["Protocols"] = "Http2" } },
            });
        string id = Guid.NewGuid().ToString("N");

        Socket? connection = null;
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancel) =>
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await s.ConnectAsync(context.DnsEndPoint, cancel);
                connection = s;
                return new NetworkStream(s, ownsSocket: true);
            },
        };
        var invoker = new HttpMessageInvoker(handler);
        using var socket = new ClientWebSocket();
        socket.Options.HttpVersion = HttpVersion.Version20;
        socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("x-test-id", id);
        await socket.ConnectAsync(new Uri($"ws://{gateway.Url("ipv4").Authority}/ws/{id}"), invoker, CancellationToken.None);
        Assert.Equal(HttpStatusCode.OK, socket.HttpStatusCode);
        int clientPort = ((IPEndPoint)connection!.LocalEndPoint!).Port;

        long echoed = 0;
        async Task EchoAsync(int i)
        {
            byte[] message = new byte[MessageBytes];
            Random.Shared.NextBytes(message);
            await socket.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
            byte[] back = new byte[MessageBytes];
            int read = 0;
            while (true)
            {
                ValueWebSocketReceiveResult received = await socket.ReceiveAsync(back.AsMemory(read), CancellationToken.None);
                read += received.Count;
                if (received.EndOfMessage)
                    break;
            }

            Assert.True(read == MessageBytes && message.AsSpan().SequenceEqual(back), $"message {i} came back as {read} bytes, or changed");
            echoed += read;
        }

        await EchoAsync(0);
        // Written at the 200, while the session is open.
        JsonObject record = (await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && r.HasHeader("x-test-id", id)))[0];
        string said = record.ToJsonString();
        Assert.Equal(WebSocketState.Open, socket.State);
        Assert.Equal(200, record.Long("http.response.status_code"));
        Assert.Equal("2", record.Str("network.protocol.version"));
        Assert.Equal(clientPort, record.Long("network.peer.port"));
        // The connection's facts: its handshake (the client's SYN on lo) and its totals so far.
        Assert.True(record.Bool("wire.observed"), said);
        Assert.Equal(64, record.Long("wire.ip.ttl"));
        Assert.True(record.Long("wire.tcp.mss") > 0, said);
        Assert.True(record.Long("wire.conn.bytes_in") > 0 && record.Long("wire.conn.bytes_out") > 0, said);
        // No per-request figure: the mark that says why, and nothing else of wire.request.*.
        Assert.Equal("multiplexed", record.Str("wire.request.omitted"));
        Assert.DoesNotContain(record.Attributes(), a => a.Key.StartsWith("wire.request.", StringComparison.Ordinal) && a.Key != "wire.request.omitted");

        for (int i = 1; i < Messages; i++)
            await EchoAsync(i);
        // What the client's own kernel moved on the connection so far (not the gateway's BPF programs).
        var client = RawHttpClient.KernelCounts(connection);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        // The HTTP/2 connection outlives the stream in the pool: closing the handler closes it.
        invoker.Dispose();

        JsonObject closed = (await gateway.WaitForRecordsAsync(r => r.Event() == "wire.connection"
            && r.Attributes()["network.peer.port"] is JsonNode port && port.GetValue<long>() == clientPort))[0];
        said = closed.ToJsonString();
        Assert.Equal(1, closed.Long("gateway.connection.requests"));
        Assert.True(closed.Bool("wire.observed"), said);
        Assert.Equal((long)Messages * MessageBytes, echoed);
        // The session's bytes, each way: at least the messages and all the client's kernel counted before the close, and
        // no more than the closing exchange on top.
        long bytesIn = closed.Long("wire.conn.bytes_in"), bytesOut = closed.Long("wire.conn.bytes_out");
        Assert.True(bytesIn >= echoed && bytesIn >= client.BytesSent && bytesIn <= client.BytesSent + ClosingSlack,
            $"bytes_in {bytesIn}: the client sent {client.BytesSent} before closing, {echoed} of messages; {said}");
        Assert.True(bytesOut >= echoed && bytesOut >= client.BytesReceived && bytesOut <= client.BytesReceived + ClosingSlack,
            $"bytes_out {bytesOut}: the client received {client.BytesReceived} before closing, {echoed} of messages; {said}");
        Assert.True(closed.Long("wire.conn.packets_in") >= client.DataSegsOut && closed.Long("wire.conn.packets_out") >= client.DataSegsIn, said);
        // The totals at the 200 were the connection's so far.
        Assert.True(record.Long("wire.conn.bytes_in") <= bytesIn && record.Long("wire.conn.bytes_out") <= bytesOut, said);
        Assert.DoesNotContain(closed.Attributes(), a => a.Key.StartsWith("wire.request.", StringComparison.Ordinal));
        // One record for the request, none more when its tunnel closed.
        Assert.Single(gateway.Records(), r => r.Event() == Records.Access && r.HasHeader("x-test-id", id));
    }
}

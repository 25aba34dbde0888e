using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace EndToEnd.Tests;

/// <summary>
/// A backend that is down, does not answer the SYN, resets mid-response or stays silent:
/// the client gets YARP's 502/504, and the access record keeps the downstream wire facts and
/// says what happened upstream, with the kernel's view of the failed handshake.
/// </summary>
[Collection(HostLoopback.Name)]
public sealed class BackendFaultTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task Backend_Refusing_502AndRecordNamesTheRstToOurSyn()
    {
        Ci.RequireRoot();
        var closed = new Uri($"http://127.0.0.1:{ClosedPort()}/");
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(closed);

        (int status, JsonObject record) = await RequestAsync(gateway, "/refused");

        Assert.Equal(502, status);
        AssertDownstreamFacts(record);
        Assert.Equal("connection_refused", record.Str("gateway.upstream.error"));
        Assert.True(record.Long("gateway.upstream.local_port") > 0);
        // The kernel saw our SYN and the backend's RST to it.
        Assert.Equal(1, record.Long("gateway.upstream.packets_out"));
        Assert.True(record.Long("gateway.upstream.packets_in") >= 1);
        Assert.Equal("peer", record.Str("gateway.upstream.reset_by"));
    }

    [SkippableFact]
    public async Task Backend_NotAnsweringSyn_ConnectTimesOutAndRecordCountsSynRetransmissions()
    {
        Ci.RequireRoot();
        // A listener whose accept queue is full drops every new SYN: the gateway's connect
        // retransmits its SYN (after 1 s, 3 s, 7 s) until Upstream:ConnectTimeoutSeconds.
        // 8 s leaves room for at least two SYNs even when a loaded machine delays the first.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var fillers = new List<Socket>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
                try { filler.Connect(IPAddress.Loopback, port); } catch (SocketException) { }
                fillers.Add(filler);
            }
            await Task.Delay(300);
            await using GatewayProcess gateway = await GatewayProcess.StartAsync(new Uri($"http://127.0.0.1:{port}/"),
                configure: c => c["Upstream"] = new JsonObject { ["ConnectTimeoutSeconds"] = 8 });

            (int status, JsonObject record) = await RequestAsync(gateway, "/syn-timeout");

            output.WriteLine(record.Attributes().ToJsonString());
            Assert.True(status is 502 or 504, $"status {status}");
            AssertDownstreamFacts(record);
            Assert.Equal("connect_timeout", record.Str("gateway.upstream.error"));
            long syns = record.Long("gateway.upstream.packets_out");
            Assert.True(syns >= 2, $"{syns} SYN(s) sent in 8 s");
            Assert.Equal(syns - 1, record.Long("gateway.upstream.retransmits_out"));
            Assert.Equal(0, record.Long("gateway.upstream.packets_in"));
        }
        finally
        {
            foreach (Socket s in fillers)
                s.Dispose();
        }
    }

    [SkippableFact]
    public async Task Backend_ResettingMidResponse_ClientCutAndRecordSaysResetByPeer()
    {
        Ci.RequireRoot();
        await using FaultyBackend backend = FaultyBackend.Start(BackendFault.ResetMidResponse);
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url);

        string id = Guid.NewGuid().ToString("N");
        using RawHttpClient client = await RawHttpClient.ConnectAsync(gateway.Url("ipv4"), ttl: 41, tos: 0, mss: 1300);
        // Head sent (200), then the body stops short: the client sees its connection cut.
        await Assert.ThrowsAnyAsync<Exception>(() => client.GetAsync("/reset", ("X-Test-Id", id)));
        JsonObject record = (await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && r.HasHeader("x-test-id", id)))[0];

        output.WriteLine(record.Attributes().ToJsonString());
        AssertDownstreamFacts(record);
        Assert.Equal("connection_reset", record.Str("gateway.upstream.error"));
        Assert.Equal("peer", record.Str("gateway.upstream.reset_by"));
        Assert.True(record.Long("gateway.upstream.packets_in") >= 2);
    }

    [SkippableFact]
    public async Task Backend_Silent_504AfterActivityTimeout()
    {
        Ci.RequireRoot();
        await using FaultyBackend backend = FaultyBackend.Start(BackendFault.Silent);
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url,
            configure: c => c["ReverseProxy"]!["Clusters"]!["backend"]!["HttpRequest"] = new JsonObject { ["ActivityTimeout"] = "00:00:02" });

        (int status, JsonObject record) = await RequestAsync(gateway, "/silent");

        Assert.Equal(504, status);
        AssertDownstreamFacts(record);
        Assert.Equal("response_timeout", record.Str("gateway.upstream.error"));
        Assert.True(record.Long("gateway.upstream.local_port") > 0);
        Assert.True(record.Long("gateway.upstream.packets_out") >= 2);
    }

    private static async Task<(int Status, JsonObject Record)> RequestAsync(GatewayProcess gateway, string path)
    {
        string id = Guid.NewGuid().ToString("N");
        using RawHttpClient client = await RawHttpClient.ConnectAsync(gateway.Url("ipv4"), ttl: 41, tos: 0, mss: 1300);
        (int status, _) = await client.GetAsync(path, ("X-Test-Id", id));
        JsonObject record = (await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && r.HasHeader("x-test-id", id)))[0];
        return (status, record);
    }

    private static void AssertDownstreamFacts(JsonObject record)
    {
        Assert.True(record.Bool("wire.observed"));
        Assert.Equal(41, record.Long("wire.ip.ttl"));
        Assert.Equal(1300, record.Long("wire.tcp.mss"));
    }

    private static int ClosedPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}

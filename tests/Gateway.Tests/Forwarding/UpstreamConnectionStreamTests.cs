using System.Net;
using System.Net.Sockets;
using Gateway.Correlation;
using Gateway.Forwarding;
using Gateway.Tests.Support;

namespace Gateway.Tests.Forwarding;

public sealed class UpstreamConnectionStreamTests
{
    public static TheoryData<bool> DisposedAsync => new() { false, true };

    [Theory]
    [MemberData(nameof(DisposedAsync))]
    public async Task Dispose_EitherWayAndTwice_TellsTheViewOnceAndTheLedgerForgetsTheConnection(bool disposeAsync)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(listener.LocalEndpoint);
        using var accepted = await listener.AcceptSocketAsync();
        var tuple = ConnectionTuple.FromSocket(socket)!.Value;
        using var view = new RecordingWireView(new WireFacts { PacketsIn = 3 });
        var ledger = new ConnectionLedger();
        using (var request = ledger.Begin(tuple, new Gateway.Telemetry.Records.SpanData()))
            request.Account(new WireFacts { PacketsIn = 3 }, peerPrivacy: null, ends: null, out _);
        Assert.Equal(1, ledger.Count);
        var stream = new UpstreamConnectionStream(socket, tuple, view, ledger);

        if (disposeAsync)
        {
            await stream.DisposeAsync();
            await stream.DisposeAsync();
        }
        else
        {
            stream.Dispose();
            stream.Dispose();
        }

        Assert.Equal([tuple], view.UpstreamClosed);
        Assert.Equal(0, ledger.Count);
        // The stream owned the socket: the peer reads the end of the stream.
        Assert.Equal(0, await accepted.ReceiveAsync(new byte[1]));
    }
}

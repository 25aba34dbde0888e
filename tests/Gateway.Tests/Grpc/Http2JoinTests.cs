using System.Collections.Concurrent;
using System.Net.Sockets;
using Gateway.Correlation;
using Gateway.Telemetry.Records;
using Gateway.Tests.Support;
using Grpc.Core;
using GrpcTestService;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Grpc;

/// <summary>
/// The join of requests to HTTP/2 upstream connections under concurrency: many calls at once over a
/// few multiplexed connections, each client span naming the connection the backend saw the call on.
/// </summary>
public sealed class Http2JoinTests
{
    [Fact]
    public async Task ManyConcurrentCalls_FewConnections_EachClientSpanCarriesTheConnectionThatCarriedIt()
    {
        const int Calls = 400;
        var view = new PortTaggingWireView();
        await using var gateway = await GrpcGateway.StartAsync(services: s => s.AddSingleton<IWireView>(view));
        using var channel = EchoClients.Channel(gateway.Address);
        var client = EchoClients.Client(channel);

        var ids = Enumerable.Range(0, Calls).Select(_ => Guid.NewGuid().ToString("N")[..12]).ToList();
        // More calls in flight than the backend's 100 streams per connection: the pool opens several.
        await Task.WhenAll(ids.Select(async id =>
        {
            var headers = new Metadata { { "x-call-id", id }, { "traceparent", TraceSpanCollector.Header(gateway.Spans.NewTrace(id)) } };
            await client.UnaryAsync(new EchoRequest { DelayMs = 50 }, headers);
        }));

        var spans = await gateway.Spans.WaitForAsync(s => s.Count(a => a.Kind == SpanKindCode.Client) >= Calls && s.Count(a => a.Kind == SpanKindCode.Server) >= Calls, TimeSpan.FromSeconds(20));
        var seen = gateway.Server.Calls.All.Where(c => c.CallId is not null).ToDictionary(c => c.CallId!, c => c.RemotePort);
        int joined = 0, wrong = 0;
        foreach (var span in spans.Where(s => s.Kind == SpanKindCode.Client))
        {
            var port = seen[gateway.Spans.Label(span)];
            joined += span.Tag("network.local.port") is null ? 0 : 1;
            wrong += span.Tag("network.local.port") is long local && local != port ? 1 : 0;
            // The wire facts are the ones the view gave for that connection (it tags them with the local port).
            Assert.Equal((long)port, span.Tag("wire.conn.packets_in"));
            Assert.Equal("2", span.Tag("network.protocol.version"));
            // Interleaved streams: no per-request share of the counters, only the mark saying why.
            AssertNoRequestShare(span);
        }

        Assert.Equal(0, wrong);
        Assert.Equal(Calls, joined);
        var connections = seen.Values.Distinct().Count();
        Assert.InRange(connections, 2, Calls / 20);
        // Downstream too, the client's one HTTP/2 connection carries interleaved calls: no deltas there either.
        Assert.All(spans.Where(s => s.Kind == SpanKindCode.Server), AssertNoRequestShare);
    }

    /// <summary>An active wire view whose facts for a connection carry its local port (as <c>PacketsIn</c>), so a span shows whose facts it got.</summary>
    // No figure of wire.request.*; where the span says why, the reason is the multiplexing.
    private static void AssertNoRequestShare(CollectedSpan span)
    {
        Assert.DoesNotContain(span.Attributes.Keys, k => k.StartsWith("wire.request.", StringComparison.Ordinal) && k != "wire.request.omitted");
        if (span.Tag("wire.request.omitted") is { } why)
            Assert.Equal("multiplexed", why);
    }

    private sealed class PortTaggingWireView : IWireView
    {
        public bool IsActive => true;

        public string? InactiveReason => null;

        public ConcurrentQueue<ConnectionTuple> Closed { get; } = new();

        public void OnListenSocketCreated(Socket socket)
        {
        }

        public void OnUpstreamSocketCreated(Socket socket)
        {
        }

        public void OnUpstreamSocketClosed(Socket socket, ConnectionTuple? tuple)
        {
        }

        public WireFacts? Lookup(ConnectionTuple tuple) => new WireFacts { Ttl = 64, PacketsIn = tuple.LocalPort, BytesIn = 1000 };

        public WireFacts? Complete(ConnectionTuple tuple) => Lookup(tuple);
    }
}

using Gateway.Telemetry.Records;
using Gateway.Tests.Support;
using Grpc.Core;
using GrpcTestService;
using KernelProbe;

namespace Gateway.Tests.Grpc;

/// <summary>
/// The HTTP/2 upstream join with the real kernel probe attached (TC on the host's lo, the socket filter on
/// the gateway's sockets): many concurrent calls over a few multiplexed connections, each client span joined
/// to the connection the backend saw and carrying what the kernel recorded for it. The gateway detaches
/// everything when disposed, also when an assertion fails.
/// </summary>
public sealed class Http2KernelJoinTests
{
    [SkippableFact]
    public async Task ManyConcurrentCalls_RealProbe_EachClientSpanCarriesItsConnectionsWireFactsAndNoShare()
    {
        bool ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        Skip.If(Environment.UserName != "root" && !ci, "the kernel probe needs root (or CAP_BPF + CAP_NET_ADMIN + CAP_PERFMON)");
        const int Calls = 240;
        var registry = new AttachmentRegistry(AttachmentRegistry.DefaultDirectory);
        await using (var gateway = await GrpcGateway.StartAsync(settings: ["--KernelProbe:Mode=On", "--KernelProbe:Interfaces:0=lo"]))
        {
            Assert.Contains(registry.List(), a => a.State.Owner == ProcessIdentity.Current());
            using var channel = EchoClients.Channel(gateway.Address);
            var client = EchoClients.Client(channel);
            var ids = Enumerable.Range(0, Calls).Select(_ => Guid.NewGuid().ToString("N")[..12]).ToList();
            // More calls in flight than the backend's 100 streams per connection: the pool opens several.
            await Task.WhenAll(ids.Select(async id =>
            {
                var headers = new Metadata { { "x-call-id", id }, { "traceparent", TraceSpanCollector.Header(gateway.Spans.NewTrace(id)) } };
                await client.UnaryAsync(new EchoRequest { DelayMs = 50, Text = id }, headers);
            }));

            var spans = await gateway.Spans.WaitForAsync(s => s.Count(a => a.Kind == SpanKindCode.Client) >= Calls, TimeSpan.FromSeconds(20));
            var seen = gateway.Server.Calls.All.Where(c => c.CallId is not null).ToDictionary(c => c.CallId!, c => c.RemotePort);
            var backendPort = new Uri(gateway.Server.Address).Port;
            int wrong = 0;
            var handshakes = new Dictionary<long, string>();
            foreach (var span in spans.Where(s => s.Kind == SpanKindCode.Client))
            {
                var port = seen[gateway.Spans.Label(span)];
                wrong += span.Tag("network.local.port") is long local && local == port ? 0 : 1;
                Assert.Equal((long)backendPort, span.Tag("network.peer.port"));
                Assert.Equal("2", span.Tag("network.protocol.version"));
                // What the kernel saw on that connection: its handshake (the backend's SYN-ACK on lo) and its totals so far.
                Assert.Equal(true, span.Tag("wire.observed"));
                Assert.Equal(64L, span.Tag("wire.ip.ttl"));
                Assert.True(span.Tag("wire.tcp.mss") is long mss && mss > 0, $"no MSS on {port}");
                Assert.True(span.Tag("wire.conn.bytes_out") is long sent && sent > 0 && span.Tag("wire.conn.bytes_in") is long received && received > 0,
                    $"no totals on {port}");
                // One handshake per connection: every span of a connection shows the same one.
                var handshake = $"{span.Tag("wire.tcp.mss")} {span.Tag("wire.tcp.window")} {span.Tag("wire.tcp.options")} {span.Tag("wire.tcp.handshake_rtt_us")}";
                Assert.Equal(handshakes.TryAdd(port, handshake) ? handshake : handshakes[port], handshake);
                // Interleaved streams: no per-request figure, and the mark saying why.
                Assert.DoesNotContain(span.Attributes.Keys, k => k.StartsWith("wire.request.", StringComparison.Ordinal) && k != "wire.request.omitted");
                Assert.Equal("multiplexed", span.Tag("wire.request.omitted"));
            }

            Assert.Equal(0, wrong);
            Assert.InRange(handshakes.Count, 2, Calls / 20);
        }

        // Disposed: nothing of this process stays attached.
        Assert.DoesNotContain(registry.List(), a => a.State.Owner == ProcessIdentity.Current());
    }
}

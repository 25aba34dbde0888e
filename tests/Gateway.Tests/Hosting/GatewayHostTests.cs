using System.Collections.Concurrent;
using System.Text.Json;
using Gateway.Correlation;
using Gateway.Hosting;
using Gateway.Telemetry;
using Gateway.Telemetry.Records;
using Gateway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Hosting;

/// <summary>The real gateway host on real Kestrel sockets (127.0.0.1, port 0) in front of a real backend.</summary>
public sealed class GatewayHostTests
{
    [Fact]
    public async Task Request_ThroughGateway_WritesAccessLineWithHeaderRoutePeerPortAndWireUnobserved()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address);
        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0"]);
        await gateway.StartAsync();
        var marker = Guid.NewGuid().ToString("N");

        var (clientPort, response) = await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), "/api/hello?q=1",
            $"X-Test-Id: {marker}", "Authorization: Bearer secret-token");

        Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
        var record = await JsonLines.WaitForAsync(config.JsonLinesPath,
            r => r.GetProperty("event").GetString() == SemanticConventions.AccessEvent && r.HasHeader("http.request.header.x-test-id", marker));
        var attributes = record.Attributes();
        Assert.Equal(200, attributes.GetProperty("http.response.status_code").GetInt32());
        Assert.Equal("route1", attributes.GetProperty("gateway.route.id").GetString());
        Assert.Equal("cluster1", attributes.GetProperty("gateway.cluster.id").GetString());
        Assert.Equal("d1", attributes.GetProperty("gateway.destination.id").GetString());
        Assert.Equal(clientPort, attributes.GetProperty("network.peer.port").GetInt32());
        Assert.Equal("127.0.0.1", attributes.GetProperty("network.peer.address").GetString());
        Assert.Equal("/api/hello", attributes.GetProperty("url.path").GetString());
        Assert.Equal("q=1", attributes.GetProperty("url.query").GetString());
        Assert.Equal("{**catch-all}", attributes.GetProperty("http.route").GetString());
        Assert.False(attributes.GetProperty("wire.observed").GetBoolean());
        Assert.False(attributes.TryGetProperty("wire.ip.ttl", out _));
        Assert.True(record.HasHeader("http.request.header.authorization", "[REDACTED]"));
        Assert.True(record.HasHeader("http.response.header.set-cookie", "[REDACTED]"));
        Assert.True(record.HasHeader("http.response.header.x-backend", "test"));
        Assert.Matches("^[0-9a-f]{32}$", record.GetProperty("trace_id").GetString());
        Assert.Matches("^[0-9a-f]{16}$", record.GetProperty("span_id").GetString());
        Assert.StartsWith("GET /api/hello?q=1 200 ", record.GetProperty("body").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClosedDownstreamConnection_WritesWireConnectionRecordWithTheClientPort()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address);
        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0"]);
        await gateway.StartAsync();

        var (clientPort, _) = await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), "/x");

        var record = await JsonLines.WaitForAsync(config.JsonLinesPath,
            r => r.GetProperty("event").GetString() == SemanticConventions.ConnectionEvent
                 && r.Attributes().GetProperty("network.peer.port").GetInt32() == clientPort);
        Assert.False(record.Attributes().GetProperty("wire.observed").GetBoolean());
        Assert.Equal("tcp", record.Attributes().GetProperty("network.transport").GetString());
    }

    [Fact]
    public async Task PooledUpstreamConnection_TwoSequentialRequests_ClientSpansCarryTheSocketTheBackendSaw()
    {
        await using var traced = await TracedGateway.StartAsync();
        var (backend, spans, client) = (traced.Backend, traced.Spans, traced.Client);
        var traceId = spans.NewTrace();

        for (var i = 0; i < 2; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/pooled/{i}");
            request.Headers.Add("traceparent", TraceSpanCollector.Header(traceId));
            using var response = await client.SendAsync(request);
            Assert.Equal(200, (int)response.StatusCode);
        }

        var exported = await spans.WaitForAsync(s => s.Count(a => a.Kind == SpanKindCode.Client) == 2 && s.Count(a => a.Kind == SpanKindCode.Server) == 2);
        var clientSpans = exported.Where(a => a.Kind == SpanKindCode.Client).ToList();
        Assert.Equal(2, clientSpans.Count);
        var seen = backend.Requests.Where(r => r.Path.StartsWith("/pooled/", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, seen.Count);
        Assert.Equal(seen[0].RemotePort, seen[1].RemotePort);
        Assert.All(clientSpans, span => Assert.Equal((long)seen[0].RemotePort, span.Tag("network.local.port")));
        Assert.All(clientSpans, span => Assert.Equal((long)backend.Port, span.Tag("network.peer.port")));
        Assert.All(clientSpans, span => Assert.Equal(200L, span.Tag("http.response.status_code")));

        // The backend is told the client span is its parent.
        foreach (var span in clientSpans)
        {
            Assert.Contains(seen, r => r.TraceParent == $"00-{traceId}-{span.SpanId}-01");
        }

        // Each client span is a child of its request's server span, which continues the caller's trace.
        var serverSpans = exported.Where(a => a.Kind == SpanKindCode.Server).ToList();
        Assert.Equal(2, serverSpans.Count);
        Assert.All(clientSpans, c => Assert.Contains(serverSpans, s => s.SpanId == c.ParentSpanId));
        Assert.All(serverSpans, s => Assert.Equal("GET {**catch-all}", s.Name));
    }

    [Theory]
    [InlineData(200, false, false)]
    [InlineData(404, true, false)]
    [InlineData(429, true, false)]
    [InlineData(503, true, true)]
    public async Task BackendStatus_ClientSpanIsAnErrorFrom400_ServerSpanFrom500(int status, bool clientError, bool serverError)
    {
        await using var traced = await TracedGateway.StartAsync();
        var (spans, client) = (traced.Spans, traced.Client);
        var traceId = spans.NewTrace();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/status?status={status}");
        request.Headers.Add("traceparent", TraceSpanCollector.Header(traceId));
        using var response = await client.SendAsync(request);
        Assert.Equal(status, (int)response.StatusCode);

        var exported = await spans.WaitForAsync(s => s.Count(a => a.TraceId == traceId) == 2);
        var upstream = Assert.Single(exported, a => a.TraceId == traceId && a.Kind == SpanKindCode.Client);
        var server = Assert.Single(exported, a => a.TraceId == traceId && a.Kind == SpanKindCode.Server);
        Assert.Equal(clientError ? SpanStatusCode.Error : SpanStatusCode.Unset, upstream.Status);
        Assert.Equal(clientError ? status.ToString(System.Globalization.CultureInfo.InvariantCulture) : null, upstream.Tag("error.type"));
        Assert.Equal(serverError ? SpanStatusCode.Error : SpanStatusCode.Unset, server.Status);
        Assert.Equal(serverError ? status.ToString(System.Globalization.CultureInfo.InvariantCulture) : null, server.Tag("error.type"));
    }

    [Fact]
    public async Task ConcurrentRequests_SeveralUpstreamConnections_EachClientSpanCarriesTheSocketOfItsOwnRequest()
    {
        await using var traced = await TracedGateway.StartAsync();
        var (backend, spans, client) = (traced.Backend, traced.Spans, traced.Client);
        var traceId = spans.NewTrace();

        // Three rounds of six overlapping requests: several pooled connections, each reused.
        for (var round = 0; round < 3; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 6).Select(async i =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/concurrent/{round}/{i}?delay={10 * i}");
                request.Headers.Add("traceparent", TraceSpanCollector.Header(traceId));
                using var response = await client.SendAsync(request);
                Assert.Equal(200, (int)response.StatusCode);
            }));
        }

        var clientSpans = (await spans.WaitForAsync(s => s.Count(a => a.Kind == SpanKindCode.Client) >= 18))
            .Where(a => a.Kind == SpanKindCode.Client).ToList();
        Assert.Equal(18, clientSpans.Count);
        var seen = backend.Requests.Where(r => r.Path.StartsWith("/concurrent/", StringComparison.Ordinal)).ToList();
        Assert.True(seen.Select(r => r.RemotePort).Distinct().Count() > 1, "expected several upstream connections");
        foreach (var span in clientSpans)
        {
            var carried = Assert.Single(seen, r => r.TraceParent.Contains(span.SpanId, StringComparison.Ordinal));
            Assert.Equal((long)carried.RemotePort, span.Tag("network.local.port"));
        }
    }

    [Fact]
    public async Task Ipv6Listener_Request_RecordsIpv6Tuple()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address);
        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://[::1]:0"]);
        await gateway.StartAsync();
        var marker = Guid.NewGuid().ToString("N");

        var (clientPort, response) = await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), "/v6", $"X-Test-Id: {marker}");

        Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
        var attributes = (await JsonLines.WaitForAsync(config.JsonLinesPath, r => r.HasHeader("http.request.header.x-test-id", marker))).Attributes();
        Assert.Equal("ipv6", attributes.GetProperty("network.type").GetString());
        Assert.Equal("::1", attributes.GetProperty("network.peer.address").GetString());
        Assert.Equal(clientPort, attributes.GetProperty("network.peer.port").GetInt32());
    }

    [Fact]
    public async Task ActiveWireView_Request_RecordsCarryWireFactsAndUpstreamSocketsAreHandedOverBeforeConnect()
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address);
        var view = new RecordingWireView(new WireFacts
        {
            Ttl = 37, Dscp = 10, Ecn = 0, Window = 65495, Mss = 1200, WindowScale = 7, Options = "2-4-8-1-3",
            PacketsIn = 3, PacketsOut = 2, BytesIn = 78, BytesOut = 230,
        });
        var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0"],
            services => services.AddSingleton<IWireView>(view));
        int clientPort;
        await using (gateway)
        {
            await gateway.StartAsync();
            var marker = Guid.NewGuid().ToString("N");
            (clientPort, _) = await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), "/wire", $"X-Test-Id: {marker}");

            var access = await JsonLines.WaitForAsync(config.JsonLinesPath, r => r.HasHeader("http.request.header.x-test-id", marker));
            var attributes = access.Attributes();
            Assert.True(attributes.GetProperty("wire.observed").GetBoolean());
            Assert.Equal(37, attributes.GetProperty("wire.ip.ttl").GetInt32());
            Assert.Equal(10, attributes.GetProperty("wire.ip.dscp").GetInt32());
            Assert.Equal(1200, attributes.GetProperty("wire.tcp.mss").GetInt32());
            Assert.Equal(7, attributes.GetProperty("wire.tcp.wscale").GetInt32());
            Assert.Equal("2-4-8-1-3", attributes.GetProperty("wire.tcp.options").GetString());
            Assert.Equal(230, attributes.GetProperty("wire.conn.bytes_out").GetInt64());

            var closed = await JsonLines.WaitForAsync(config.JsonLinesPath,
                r => r.GetProperty("event").GetString() == SemanticConventions.ConnectionEvent
                     && r.Attributes().GetProperty("network.peer.port").GetInt32() == clientPort);
            Assert.True(closed.Attributes().GetProperty("wire.observed").GetBoolean());
            Assert.Equal(3, closed.Attributes().GetProperty("wire.conn.packets_in").GetInt64());
        }

        Assert.NotEmpty(view.ListenSockets);
        Assert.Equal([false], view.UpstreamCreatedConnected.ToArray());
        Assert.Contains(view.Completed, t => t.PeerPort == clientPort);

        // Stopping the gateway disposes the pooled upstream connection: the view hears of it with its tuple.
        var closedUpstream = Assert.Single(view.UpstreamClosed);
        Assert.Equal(backend.Port, closedUpstream?.PeerPort);
    }

    [Fact]
    public async Task UnreachableDestination_Request_RecordsForwarderErrorAnd502()
    {
        using var config = TestConfig.ForBackend($"http://127.0.0.1:{UnusedPort()}/");
        var spans = new TraceSpanCollector();
        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0"],
            services => services.AddSingleton<TelemetrySink>(spans));
        await gateway.StartAsync();
        var traceId = spans.NewTrace();
        var marker = Guid.NewGuid().ToString("N");

        var (_, response) = await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), "/down", $"X-Test-Id: {marker}",
            $"traceparent: {TraceSpanCollector.Header(traceId)}");

        Assert.StartsWith("HTTP/1.1 502", response, StringComparison.Ordinal);
        var record = await JsonLines.WaitForAsync(config.JsonLinesPath, r => r.HasHeader("http.request.header.x-test-id", marker));
        Assert.Equal("Request", record.Attributes().GetProperty("error.type").GetString());
        Assert.Equal(traceId, record.GetProperty("trace_id").GetString());
        var clientSpan = Assert.Single(await spans.WaitForAsync(s => s.Any(a => a.Kind == SpanKindCode.Client)), a => a.Kind == SpanKindCode.Client);
        Assert.Equal(SpanStatusCode.Error, clientSpan.Status);
        Assert.Equal("Request", clientSpan.Tag("error.type"));
        Assert.Equal(false, clientSpan.Tag("wire.observed"));
    }

    [Fact]
    public async Task BackendResettingMidResponse_LedgerForgetsBothLegsOnceTheyClose()
    {
        // A backend that starts a long body, then resets the connection: the pool drops it before
        // the request that suffered it has finished, and that request must not leave its entry behind.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var backendPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var backend = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            var buffer = new byte[8192];
            var received = "";
            while (!received.Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await socket.ReceiveAsync(buffer);
                if (read == 0)
                {
                    return;
                }

                received += System.Text.Encoding.ASCII.GetString(buffer, 0, read);
            }

            await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + new string('x', 1000)));
            await Task.Delay(200);
            socket.LingerState = new System.Net.Sockets.LingerOption(true, 0);
            socket.Close();
        });
        using var config = TestConfig.ForBackend($"http://127.0.0.1:{backendPort}/");
        var view = new RecordingWireView(new WireFacts { Ttl = 64, PacketsIn = 3, PacketsOut = 2 });
        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0"],
            services => services.AddSingleton<IWireView>(view));
        await gateway.StartAsync();
        var ledger = gateway.Services.GetRequiredService<ConnectionLedger>();

        try
        {
            await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), "/cut");
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            // The gateway cuts the client off mid-body too: that is the point.
        }

        await backend.WaitAsync(TimeSpan.FromSeconds(10));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((view.UpstreamClosed.IsEmpty || view.Completed.IsEmpty || ledger.Count > 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Single(view.UpstreamClosed);
        Assert.Single(view.Completed);
        Assert.Equal(0, ledger.Count);
    }

    private static int UnusedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A real backend, the real gateway in front of it with its spans collected, and a client of the gateway.</summary>
    private sealed class TracedGateway : IAsyncDisposable
    {
        private TestConfig _config = null!;
        private GatewayHost _gateway = null!;

        public TestBackend Backend { get; private set; } = null!;

        public TraceSpanCollector Spans { get; } = new();

        public HttpClient Client { get; private set; } = null!;

        public static async Task<TracedGateway> StartAsync()
        {
            var traced = new TracedGateway { Backend = await TestBackend.StartAsync() };
            try
            {
                traced._config = TestConfig.ForBackend(traced.Backend.Address);
                traced._gateway = GatewayHost.Create(["--config", traced._config.ConfigPath, "--urls", "http://127.0.0.1:0"],
                    services => services.AddSingleton<TelemetrySink>(traced.Spans));
                await traced._gateway.StartAsync();
                traced.Client = new HttpClient { BaseAddress = new Uri(traced._gateway.Addresses[0]) };
                return traced;
            }
            catch
            {
                // What started is stopped: the test that called never gets it to dispose.
                await traced.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            Client?.Dispose();
            if (_gateway is not null)
            {
                await _gateway.DisposeAsync();
            }

            _config?.Dispose();
            await Backend.DisposeAsync();
        }
    }
}

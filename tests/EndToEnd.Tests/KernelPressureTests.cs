using System.Diagnostics;
using System.Text.Json.Nodes;
using OtlpReceiver;
using Xunit.Abstractions;

namespace EndToEnd.Tests;

/// <summary>
/// The kernel side under pressure: a flow table smaller than the connections in flight, and
/// the table emptying again as connections close.
/// </summary>
[Collection(HostLoopback.Name)]
public sealed class KernelPressureTests(ITestOutputHelper output) : IAsyncLifetime
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
    public async Task FlowTable_SmallerThanConnections_ServesAllAndNeverMisattributes()
    {
        Ci.RequireRoot();
        const int connections = 200;
        const int tableSize = 64;
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url, environment: MetricsTo(receiver),
            configure: c => c["KernelProbe"]!["FlowTableSize"] = tableSize);

        // Each connection announces its own MSS: a handshake fact that lands on another
        // connection's record would show the wrong one.
        var clients = new List<(RawHttpClient Client, int Mss, string Id)>();
        try
        {
            for (int i = 0; i < connections; i++)
            {
                int mss = 600 + i;
                clients.Add((await RawHttpClient.ConnectAsync(gateway.Url("ipv4"), ttl: 64, tos: 0, mss: mss), mss, Guid.NewGuid().ToString("N")));
            }

            // All in flight at once: downstream and upstream flows far exceed the table.
            var statuses = await Task.WhenAll(clients.Select(async c => (await c.Client.GetAsync("/pressure", ("X-Test-Id", c.Id))).Status));
            Assert.All(statuses, s => Assert.Equal(200, s));

            var records = await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && r.Str("url.path") == "/pressure", connections);
            int withHandshake = 0;
            foreach (var (client, mss, id) in clients)
            {
                JsonObject record = Assert.Single(records, r => r.HasHeader("x-test-id", id));
                Assert.Equal(client.LocalEndPoint.Port, record.Long("network.peer.port"));
                if (record.Attributes()["wire.tcp.mss"] is JsonNode seen)
                {
                    Assert.Equal(mss, seen.GetValue<long>());
                    withHandshake++;
                }
            }
            output.WriteLine($"{withHandshake} of {connections} records kept their handshake facts with a {tableSize}-entry table");
            // The LRU table kept at most its size; the rest were recounted from mid-connection, without handshake facts.
            Assert.True(withHandshake < connections, "a 64-entry table cannot hold 200 connections' handshakes");
            await WaitForMetric("gateway.probe.flows", v => v <= tableSize, "the flow table never exceeds its size");
            // The loss is counted and exported: one per record without its handshake facts.
            await WaitForMetric("gateway.wire.incomplete", v => v == connections - withHandshake, $"{connections - withHandshake} incomplete records counted");
        }
        finally
        {
            foreach (var c in clients)
                c.Client.Dispose();
        }
        Assert.False(gateway.HasExited);
    }

    [SkippableFact]
    public async Task FlowTable_AfterConnectionsClose_ReturnsNearEmpty()
    {
        Ci.RequireRoot();
        const int open = 50;
        const int churn = 300;
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url, environment: MetricsTo(receiver));

        var clients = new List<RawHttpClient>();
        try
        {
            for (int i = 0; i < open; i++)
            {
                var client = await RawHttpClient.ConnectAsync(gateway.Url("ipv4"), ttl: 64, tos: 0, mss: 1400);
                Assert.Equal(200, (await client.GetAsync("/open")).Status);
                clients.Add(client);
            }
            // Live: the metric sees the open connections.
            await WaitForMetric("gateway.probe.flows", v => v >= open, $"{open} open connections are in the table");
        }
        finally
        {
            foreach (var c in clients)
                c.Dispose();
        }

        // Then many short connections, each closed after its request. Bounded by count and time.
        var watch = Stopwatch.StartNew();
        int done = 0;
        for (; done < churn && watch.Elapsed < TimeSpan.FromSeconds(30); done++)
        {
            using var client = await RawHttpClient.ConnectAsync(gateway.Url("ipv4"), ttl: 64, tos: 0, mss: 1400);
            Assert.Equal(200, (await client.GetAsync("/churn")).Status);
        }
        Assert.Equal(churn, done);

        // Closed connections leave the table: what stays is the pooled upstream connection(s) and stragglers.
        double flows = await WaitForMetric("gateway.probe.flows", v => v <= 8, $"the table empties after {open + churn} closed connections");
        output.WriteLine($"flows after {open + churn} closed connections: {flows}");
    }

    private static Dictionary<string, string> MetricsTo(OtlpTestReceiver receiver) => new()
    {
        ["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"] = receiver.GrpcEndpoint.ToString(),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "300",
    };

    private async Task<double> WaitForMetric(string name, Func<double, bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        double last = double.NaN;
        // Bounded: 20 s of exports every 300 ms.
        while (watch.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (receiver.MetricTotals.TryGetValue(name, out last) && condition(last))
                return last;
            await Task.Delay(100);
        }
        throw new TimeoutException($"{what}: {name} is {last} after {watch.Elapsed}");
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using OtlpReceiver;
using Xunit.Abstractions;

namespace EndToEnd.Tests;

/// <summary>
/// Connection churn then keep-alive load, bounded by count and time: afterwards the gateway's
/// memory and flow table are back near idle, and every request has exactly one access record.
/// </summary>
/// <remarks>
/// CI bounds (a 2-core machine shared with other suites): at most 20,000 short connections or
/// 30 s, then 15 s of keep-alive load. <c>SOAK_CONNECTIONS</c> and <c>SOAK_KEEPALIVE_SECONDS</c>
/// raise them (the issue's 200,000 and 300 s) for a manual run.
/// </remarks>
[Collection(HostLoopback.Name)]
public sealed class ChurnSoakTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Workers = 4;
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
    public async Task Churn_ThenKeepAlive_MemoryAndFlowsBackNearIdleAndOneRecordPerRequest()
    {
        Ci.RequireRoot();
        int connections = Setting("SOAK_CONNECTIONS", 20_000);
        var churnLimit = TimeSpan.FromSeconds(Setting("SOAK_CHURN_SECONDS", 30));
        var keepAlive = TimeSpan.FromSeconds(Setting("SOAK_KEEPALIVE_SECONDS", 15));
        var env = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"] = receiver.GrpcEndpoint.ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        };
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url, environment: env,
            configure: c => c["Telemetry"]!["Console"] = false);
        var target = gateway.Url("ipv4");
        var ids = new ConcurrentBag<string>();

        // Idle: after a warm-up, so JIT and pools are part of the baseline.
        await Churn(target, "warm", 200, TimeSpan.FromSeconds(30), ids);
        await Task.Delay(2000);
        long idleRss = TelemetryFaultTests.Rss(gateway.Pid);

        var watch = Stopwatch.StartNew();
        int shortDone = await Churn(target, "short", connections, churnLimit, ids);
        double churnRate = shortDone / watch.Elapsed.TotalSeconds;

        watch.Restart();
        int keepAliveDone = await KeepAlive(target, keepAlive, ids);
        double keepAliveRate = keepAliveDone / watch.Elapsed.TotalSeconds;
        long loadRss = TelemetryFaultTests.Rss(gateway.Pid);

        // Every request has exactly one record (the sink is written within 100 ms; wait for the tail).
        var expected = ids.ToHashSet();
        Dictionary<string, int> seen = [];
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            seen = CountById(gateway);
            if (seen.Count >= expected.Count)
                break;
            await Task.Delay(500);
        }
        var missing = expected.Where(id => !seen.ContainsKey(id)).Take(5).ToList();
        var doubled = seen.Where(p => p.Value != 1).Take(5).ToList();
        Assert.True(missing.Count == 0, $"no record for {expected.Count - seen.Count(p => expected.Contains(p.Key))} request(s), e.g. {string.Join(", ", missing)}");
        Assert.True(doubled.Count == 0, $"more than one record for {string.Join(", ", doubled)}");

        double flows = double.NaN;
        var flowWatch = Stopwatch.StartNew();
        while (flowWatch.Elapsed < TimeSpan.FromSeconds(20) && !(receiver.MetricTotals.TryGetValue("gateway.probe.flows", out flows) && flows <= 8))
            await Task.Delay(200);
        await Task.Delay(3000);
        long afterRss = TelemetryFaultTests.Rss(gateway.Pid);

        output.WriteLine($"short connections: {shortDone} at {churnRate:F0}/s; keep-alive requests: {keepAliveDone} at {keepAliveRate:F0}/s over {keepAlive.TotalSeconds:F0} s");
        output.WriteLine($"RSS idle {idleRss >> 20} MB, under load {loadRss >> 20} MB, after {afterRss >> 20} MB; flows after {flows}; records {seen.Count}");

        Assert.True(shortDone >= 1000, $"only {shortDone} short connections in {churnLimit}");
        Assert.True(flows <= 8, $"gateway.probe.flows is {flows} after the load");
        // Near idle: the managed heap and the records' buffers are reused, not kept per connection.
        // .NET returns memory to the OS lazily, hence a margin rather than equality.
        Assert.True(afterRss <= idleRss + (100L << 20), $"RSS {afterRss >> 20} MB after, {idleRss >> 20} MB idle");
    }

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int value) && value > 0 ? value : fallback;

    /// <summary>Short connections: one request each with <c>Connection: close</c>, by <see cref="Workers"/> workers.</summary>
    private static async Task<int> Churn(Uri target, string phase, int count, TimeSpan limit, ConcurrentBag<string> ids)
    {
        int next = -1;
        var watch = Stopwatch.StartNew();
        var endpoint = new IPEndPoint(IPAddress.Parse(target.Host), target.Port);
        var workers = Enumerable.Range(0, Workers).Select(_ => Task.Run(async () =>
        {
            byte[] buffer = new byte[4096];
            int i;
            while ((i = Interlocked.Increment(ref next)) < count && watch.Elapsed < limit)
            {
                string id = $"{phase}-{i}";
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(endpoint);
                await socket.SendAsync(Encoding.ASCII.GetBytes($"GET /{phase}/{i} HTTP/1.1\r\nHost: soak\r\nConnection: close\r\nX-Test-Id: {id}\r\n\r\n"));
                var response = new StringBuilder();
                int n;
                while ((n = await socket.ReceiveAsync(buffer)) > 0)
                    response.Append(Encoding.ASCII.GetString(buffer, 0, n));
                Assert.StartsWith("HTTP/1.1 200", response.ToString(), StringComparison.Ordinal);
                ids.Add(id);
            }
        })).ToList();
        await Task.WhenAll(workers);
        return Math.Min(next, count);
    }

    private static async Task<int> KeepAlive(Uri target, TimeSpan duration, ConcurrentBag<string> ids)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Workers }) { BaseAddress = target };
        int done = 0;
        var watch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            // Bounded by time and by a count no machine reaches in that time.
            for (int i = 0; i < 1_000_000 && watch.Elapsed < duration; i++)
            {
                string id = $"ka-{w}-{i}";
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/ka/{w}/{i}");
                request.Headers.Add("X-Test-Id", id);
                using HttpResponseMessage response = await http.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                await response.Content.ReadAsByteArrayAsync();
                ids.Add(id);
                Interlocked.Increment(ref done);
            }
        })).ToList();
        await Task.WhenAll(workers);
        return done;
    }

    private static Dictionary<string, int> CountById(GatewayProcess gateway)
    {
        var counts = new Dictionary<string, int>();
        foreach (var record in gateway.Records())
        {
            if (record.Event() != Records.Access || record.Attributes()["http.request.header.x-test-id"] is not System.Text.Json.Nodes.JsonArray values)
                continue;
            foreach (var value in values)
            {
                string id = (string)value!;
                counts[id] = counts.GetValueOrDefault(id) + 1;
            }
        }
        return counts;
    }
}

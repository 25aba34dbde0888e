using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace EndToEnd.Tests;

/// <summary>
/// SIGTERM while a request is in flight: it completes, its record is flushed, the process exits 0. SIGTERM
/// while the collector hangs: the telemetry drain is bounded by Telemetry:DrainTimeoutSeconds.
/// </summary>
[Collection(HostLoopback.Name)]
public sealed class ShutdownDrainTests
{
    [SkippableFact]
    public async Task Sigterm_DuringSlowRequest_RequestCompletesAndItsRecordIsFlushed()
    {
        Ci.RequireRoot();
        await using FaultyBackend backend = FaultyBackend.Start(BackendFault.SlowAnswer);
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url);
        string id = Guid.NewGuid().ToString("N");
        using RawHttpClient client = await RawHttpClient.ConnectAsync(gateway.Url("ipv4"), ttl: 44, tos: 0, mss: 1400);

        var request = client.GetAsync("/in-flight", ("X-Test-Id", id));
        await Task.Delay(700);
        Assert.False(request.IsCompleted, "the backend answers after 2 s: the request must still be in flight");
        var stop = gateway.StopAsync(TimeSpan.FromSeconds(30));

        (int status, string body) = await request.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(200, status);
        Assert.Equal("slow", body);
        Assert.Equal(0, await stop);
        // Flushed before exit: the record is in the file although the process is gone.
        JsonObject record = Assert.Single(gateway.Records(), r => r.Event() == Records.Access && r.HasHeader("x-test-id", id));
        Assert.Equal(44, record.Long("wire.ip.ttl"));
    }

    [SkippableTheory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task Sigterm_CollectorAcceptsAndNeverAnswers_ExitsWithinTheDrainTimeCountingWhatItDrops(string protocol)
    {
        Ci.RequireRoot();
        await using Backend backend = await Backend.StartAsync();
        using var collector = new TcpListener(IPAddress.Loopback, 0);
        collector.Start();
        var held = new List<Socket>();
        // Accepts every connection and never reads or answers: a hung collector.
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    Socket socket = await collector.AcceptSocketAsync();
                    lock (held)
                        held.Add(socket);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        });
        try
        {
            var env = new Dictionary<string, string>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{((IPEndPoint)collector.LocalEndpoint).Port}",
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol,
                // Far longer than the drain: only the drain can end the stop in time.
                ["OTEL_EXPORTER_OTLP_TIMEOUT"] = "60000",
                ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
                ["OTEL_BLRP_SCHEDULE_DELAY"] = "100",
                ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
                ["Telemetry__DrainTimeoutSeconds"] = "2",
            };
            await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url, environment: env);
            using var http = new HttpClient { BaseAddress = gateway.Url("ipv4"), Timeout = TimeSpan.FromSeconds(10) };
            for (int i = 0; i < 50; i++)
                (await http.GetAsync($"/hung/{i}")).EnsureSuccessStatusCode();
            // Exports are in flight: the collector holds their connections.
            var waiting = Stopwatch.StartNew();
            while (waiting.Elapsed < TimeSpan.FromSeconds(10))
            {
                lock (held)
                    if (held.Count > 0)
                        break;
                await Task.Delay(20);
            }

            var stopping = Stopwatch.StartNew();
            int exit = await gateway.StopAsync(TimeSpan.FromSeconds(25));
            stopping.Stop();

            Assert.Equal(0, exit);
            // The drain (2 s) and the process's own start and stop, far inside a 30 s grace period (it took ~50 s without the bound).
            Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(8), $"the stop took {stopping.Elapsed}:\n{gateway.Output}");
            Assert.Contains("export_failed", gateway.Output);
            Assert.DoesNotContain("Unhandled exception", gateway.Output);
        }
        finally
        {
            collector.Stop();
            await accepting;
            lock (held)
                held.ForEach(s => s.Dispose());
        }
    }
}

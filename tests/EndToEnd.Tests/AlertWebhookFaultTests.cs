using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using OtlpReceiver;
using Xunit.Abstractions;

namespace EndToEnd.Tests;

/// <summary>
/// An alert rule with a webhook that hangs (a loopback listener that accepts and never answers) or is
/// down (a port where nothing listens), through the real gateway process: every matching request is
/// answered with the rule's status while the webhook's one call is still stuck, every alert is still a
/// gateway.alert record in the JSON-lines file, and what the webhook's bounded queue could not take is
/// counted in gateway.alerts.webhook.lost. Behaviour only: no latency is measured.
/// </summary>
/// <remarks>
/// The kernel probe is off: the webhook path does not touch the wire, and without the probe's early
/// response flush a request that waited for its alert's webhook could not be answered at all. Two
/// hundred requests go over twenty keep-alive connections, so a request held up would also hold up the
/// ones queued behind it on its connection.
/// </remarks>
public sealed class AlertWebhookFaultTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Rule = "webhook-fault";
    private const int Requests = 200;
    private const int Connections = 20;
    private const int QueueSize = 8;
    private const int DeniedStatus = 451;
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

    [Theory]
    [InlineData("hangs")]
    [InlineData("down")]
    public async Task Webhook_HangsOrDown_EveryRequestAnsweredWhileItsCallIsStuck_AlertsWrittenAndQueueLossCounted(string fault)
    {
        await using HangingWebhook? hanging = fault == "hangs" ? HangingWebhook.Start() : null;
        string url = hanging?.Url ?? $"http://127.0.0.1:{FreePort()}/hook";
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url, probeMode: "Off", environment: MetricsTo(receiver), configure: config =>
        {
            config["Rules"] = new JsonObject
            {
                [Rule] = new JsonObject
                {
                    ["Condition"] = "\"http.request.header.x-alert\" in attrs",
                    ["Actions"] = new JsonArray("deny", "alert"),
                    ["Status"] = DeniedStatus,
                },
            };
            // Every match alerts (no pacing). One attempt hangs for 120 s; ten attempts at a refused port take
            // 121.5 s of backoff: the webhook's first alert is still being sent for as long as this test runs.
            config["Alerts"] = new JsonObject
            {
                ["IntervalSeconds"] = 0,
                ["Webhook"] = new JsonObject { ["Url"] = url, ["TimeoutSeconds"] = 120, ["MaxAttempts"] = 10, ["QueueSize"] = QueueSize },
            };
        });

        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = Connections };
        using var http = new HttpClient(handler) { BaseAddress = gateway.Url("ipv4"), Timeout = Timeout.InfiniteTimeSpan };
        int answered = 0;
        var requests = Enumerable.Range(0, Requests).Select(async i =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/alerting/{i}");
            request.Headers.Add("X-Alert", "yes");
            using HttpResponseMessage response = await http.SendAsync(request);
            Interlocked.Increment(ref answered);
            return (int)response.StatusCode;
        }).ToList();
        int[] statuses;
        try
        {
            // Bounded, far below the webhook's 120 s: requests that waited for it are not all answered by then.
            statuses = await Task.WhenAll(requests).WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"{Volatile.Read(ref answered)} of {Requests} requests answered in 60 s: requests wait for the webhook\n{gateway.Output}");
        }
        // Read the moment every request was answered: the webhook's first alert had not been given up (nor delivered).
        string outputWhenAnswered = gateway.Output;

        Assert.All(statuses, status => Assert.Equal(DeniedStatus, status));
        Assert.DoesNotContain("was not delivered", outputWhenAnswered, StringComparison.Ordinal);
        if (hanging is not null)
        {
            // The gateway's one call: a POST of the first alert on one connection, never answered.
            await WaitUntil(() => hanging.Received.Contains($"\"rule\":\"{Rule}\"", StringComparison.Ordinal), TimeSpan.FromSeconds(10),
                () => $"the webhook got {hanging.Connections} connection(s) and {hanging.Received.Length} bytes: {hanging.Received}");
            Assert.StartsWith("POST /hook HTTP/1.1", hanging.Received, StringComparison.Ordinal);
            Assert.Equal(1, hanging.Connections);
        }

        // Every match is a gateway.alert record where logs go, webhook or not: with no pacing one alert per
        // match, each with its own request's trace (matches racing into the pacing once became one alert of
        // count 2, which lost a request's trace; AlertLimiterTests). The counts add up to the matches.
        var denied = await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && (string?)r.Attributes()["gateway.rule.denied"] == Rule, Requests);
        await WaitUntil(() => AlertRecords(gateway).Sum(a => a.Long("gateway.alert.count")) >= Requests, TimeSpan.FromSeconds(15),
            () => $"{AlertRecords(gateway).Count} alert records for {AlertRecords(gateway).Sum(a => a.Long("gateway.alert.count"))} matches\n{gateway.Output}");
        var alerts = AlertRecords(gateway);
        Assert.Equal(Requests, alerts.Sum(a => a.Long("gateway.alert.count")));
        Assert.All(alerts, a => Assert.Equal(1, a.Long("gateway.alert.count")));
        Assert.All(alerts, a => Assert.Equal(DeniedStatus, a.Long("gateway.alert.denied_status")));
        Assert.Equal(Requests, denied.Count);
        Assert.Equal(
            denied.Select(r => (string?)r["trace_id"]).Order(StringComparer.Ordinal),
            alerts.Select(a => (string?)a["trace_id"]).Order(StringComparer.Ordinal));
        Assert.Equal(Requests, alerts.Select(a => (string?)a["trace_id"]).Distinct().Count());

        // The rules' own match counter agrees, and the webhook's queue held QueueSize alerts and its sender the
        // first one (QueueSize + 1 alerts taken once the sender had picked the first one up, QueueSize before):
        // each of the others was dropped at the full queue and counted under queue_full, and nothing else was lost.
        const string Lost = "gateway.alerts.webhook.lost";
        const string QueueFull = Lost + "{reason=queue_full}";
        const string Matched = "gateway.rules.matched{rule=" + Rule + "}";
        await WaitUntil(
            () => receiver.MetricPoints.GetValueOrDefault(QueueFull) >= Requests - QueueSize - 1 && receiver.MetricPoints.GetValueOrDefault(Matched) >= Requests,
            TimeSpan.FromSeconds(20),
            () => $"{QueueFull} exported as {receiver.MetricPoints.GetValueOrDefault(QueueFull)}, {Matched} as {receiver.MetricPoints.GetValueOrDefault(Matched)}; points seen: {string.Join(", ", receiver.MetricPoints.Keys)}");
        double queueFull = receiver.MetricPoints[QueueFull];
        output.WriteLine($"{fault}: {Requests} answered {DeniedStatus}, {alerts.Count} alert records, {QueueFull} = {queueFull}");
        Assert.Equal(Requests, receiver.MetricPoints[Matched]);
        Assert.InRange(queueFull, Requests - QueueSize - 1, Requests - QueueSize);
        Assert.Equal(queueFull, receiver.MetricTotals[Lost]);
        Assert.DoesNotContain("was not delivered", gateway.Output, StringComparison.Ordinal);

        // The drops are said, not only counted: one warning at the first drop, the next not before 30 s.
        await WaitUntil(() => gateway.Output.Contains("alert(s) dropped since the last warning", StringComparison.Ordinal), TimeSpan.FromSeconds(10),
            () => $"no queue-full warning\n{gateway.Output}");
        Assert.Single(Regex.Matches(gateway.Output, "alert\\(s\\) dropped since the last warning"));

        // A webhook stuck mid-call does not hold up the stop either.
        Assert.Equal(0, await gateway.StopAsync(TimeSpan.FromSeconds(30)));
    }

    private static List<JsonObject> AlertRecords(GatewayProcess gateway) =>
        [.. gateway.Records().Where(r => r.Event() == "gateway.alert" && (string?)r.Attributes()["gateway.alert.rule"] == Rule)];

    private static Dictionary<string, string> MetricsTo(OtlpTestReceiver receiver) => new()
    {
        ["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"] = receiver.GrpcEndpoint.ToString(),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "300",
    };

    private static async Task WaitUntil(Func<bool> condition, TimeSpan timeout, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException(describe());
            await Task.Delay(100);
        }
    }

    // A port nothing listens on: bound for a moment by the test, then released.
    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>A loopback listener that accepts every connection, reads what arrives and never answers; closes all on dispose.</summary>
    private sealed class HangingWebhook : IAsyncDisposable
    {
        private readonly Socket listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly CancellationTokenSource stop = new();
        private readonly List<Socket> accepted = [];
        private readonly StringBuilder received = new();
        private Task loop = Task.CompletedTask;

        public string Url => $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndPoint!).Port}/hook";

        public int Connections
        {
            get { lock (accepted) return accepted.Count; }
        }

        public string Received
        {
            get { lock (received) return received.ToString(); }
        }

        public static HangingWebhook Start()
        {
            var webhook = new HangingWebhook();
            webhook.listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            webhook.listener.Listen();
            webhook.loop = LoopbackAccept.EachAsync(webhook.listener, webhook.HoldAsync, webhook.stop.Token);
            return webhook;
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            listener.Dispose();
            await loop;
            lock (accepted)
            {
                foreach (Socket socket in accepted)
                    socket.Dispose();
            }
            stop.Dispose();
        }

        private async Task HoldAsync(Socket connection)
        {
            lock (accepted)
                accepted.Add(connection);
            var buffer = new byte[8192];
            try
            {
                while (true)
                {
                    int read = await connection.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                    if (read == 0)
                        return;
                    lock (received)
                        received.Append(Encoding.UTF8.GetString(buffer, 0, read));
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }
    }
}

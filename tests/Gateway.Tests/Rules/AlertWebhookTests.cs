using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Gateway.Rules;
using Gateway.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Rules;

public sealed class AlertWebhookTests
{
    private static RuleAlert Alert(string rule = "r") => new()
    {
        Rule = rule,
        Count = 1,
        Values = [new("wire.ip.ttl", 37L)],
        TraceId = "0af7651916cd43dd8448eb211c80319c",
        SpanId = "b7ad6b7169203331",
        Time = DateTimeOffset.UtcNow,
    };

    [Fact]
    public async Task Emit_FailingThenAnswering_IsRetriedAndDeliveredOnce()
    {
        await using var receiver = await Receiver.StartAsync(failFirst: 2);
        await using var webhook = new AlertWebhook(new WebhookSettings { Url = receiver.Url, MaxAttempts = 4 }, NullLogger<AlertWebhook>.Instance);

        webhook.Emit(Alert("retried"));

        await WaitFor(() => webhook.Delivered == 1, TimeSpan.FromSeconds(10));
        Assert.Equal(3, receiver.Attempts);
        var body = Assert.Single(receiver.Bodies);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("retried", json.RootElement.GetProperty("rule").GetString());
        Assert.Equal(37, json.RootElement.GetProperty("values").GetProperty("wire.ip.ttl").GetInt64());
        Assert.Equal(0, webhook.Lost);
    }

    [Fact]
    public async Task Emit_WebhookDown_CountsTheLoss_AfterEveryAttempt()
    {
        // A port nobody listens on: connections are refused at once.
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        await using var webhook = new AlertWebhook(new WebhookSettings { Url = $"http://127.0.0.1:{port}/alerts", MaxAttempts = 2 }, NullLogger<AlertWebhook>.Instance);

        webhook.Emit(Alert());

        await WaitFor(() => webhook.Lost == 1, TimeSpan.FromSeconds(10));
        Assert.Equal(0, webhook.Delivered);
    }

    [Fact]
    public async Task Emit_WebhookHangs_NeverBlocksTheCaller_AndOverflowIsCounted()
    {
        await using var receiver = await Receiver.StartAsync(hang: true);
        var webhook = new AlertWebhook(new WebhookSettings { Url = receiver.Url, QueueSize = 10, TimeoutSeconds = 30 }, NullLogger<AlertWebhook>.Instance);
        try
        {
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < 1000; i++)
            {
                webhook.Emit(Alert());
            }

            watch.Stop();
            Assert.True(watch.Elapsed < TimeSpan.FromMilliseconds(500), $"1000 emits took {watch.Elapsed}");
            // One in flight, ten queued, the rest dropped and counted.
            Assert.InRange(webhook.Lost, 1000 - 11, 1000 - 10);
        }
        finally
        {
            await webhook.DisposeAsync();
        }

        Assert.Equal(1000, webhook.Lost);
    }

    [Fact]
    public async Task Emit_QueueFull_IsSaidAtOnceThenRateLimited_AndTheRestAtTheStop()
    {
        await using var receiver = await Receiver.StartAsync(hang: true);
        var logs = new CollectingLoggerProvider();
        using var factory = new LoggerFactory([logs]);
        var webhook = new AlertWebhook(new WebhookSettings { Url = receiver.Url, QueueSize = 10, TimeoutSeconds = 30 }, factory.CreateLogger<AlertWebhook>());
        long queueFull;
        try
        {
            for (var i = 0; i < 1000; i++)
            {
                webhook.Emit(Alert());
            }

            queueFull = webhook.Lost;
            Assert.InRange(queueFull, 1000 - 11, 1000 - 10);

            // The first drop is said at once; the next ones wait for the interval (30 s), not one line each.
            var early = Warnings(logs);
            Assert.Single(early);
            Assert.Equal(1, early[0]);
        }
        finally
        {
            await webhook.DisposeAsync();
        }

        // At the stop, the drops not said yet are: every queue_full loss is in exactly one warning (the
        // alerts given up at the stop are counted as shutdown, not said here).
        var all = Warnings(logs);
        Assert.Equal(2, all.Count);
        Assert.Equal(queueFull, all.Sum());
    }

    // The number of dropped alerts each queue-full warning says, in order.
    private static List<long> Warnings(CollectingLoggerProvider logs) =>
        [.. logs.Entries.Where(e => e.EventName == "QueueFull").Select(e => long.Parse(e.Message.Split(' ')[2], CultureInfo.InvariantCulture))];

    [Fact]
    public async Task Emit_AfterStop_CountsTheLossAsShutdownNotQueueFull()
    {
        var reasons = new ConcurrentQueue<string?>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == RuleMetrics.MeterName && instrument.Name == "gateway.alerts.webhook.lost")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "reason")
                {
                    for (var i = 0; i < value; i++)
                    {
                        reasons.Enqueue(tag.Value as string);
                    }
                }
            }
        });
        listener.Start();
        await using var receiver = await Receiver.StartAsync();
        var webhook = new AlertWebhook(new WebhookSettings { Url = receiver.Url }, NullLogger<AlertWebhook>.Instance);
        await webhook.DisposeAsync();

        // A request that ends while the gateway stops: its alert is lost, and for the stop, not for a full queue.
        webhook.Emit(Alert());
        webhook.Emit(Alert());

        Assert.Equal(2, webhook.Lost);
        Assert.Equal(0, webhook.Delivered);
        Assert.Equal(new string?[] { "shutdown", "shutdown" }, reasons.ToArray());
        Assert.Equal(0, receiver.Attempts);
    }

    private static async Task WaitFor(Func<bool> condition, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(20);
        }
    }

    /// <summary>A real HTTP endpoint on loopback that records what it is sent.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly CancellationTokenSource _release = new();
        private int _attempts;

        private Receiver(WebApplication app) => _app = app;

        public ConcurrentQueue<byte[]> Bodies { get; } = new();

        public int Attempts => Volatile.Read(ref _attempts);

        public string Url => _app.Urls.First() + "/alerts";

        public static async Task<Receiver> StartAsync(int failFirst = 0, bool hang = false)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var receiver = new Receiver(app);
            app.MapPost("/alerts", async (HttpContext context) =>
            {
                var attempt = Interlocked.Increment(ref receiver._attempts);
                if (hang)
                {
                    await Task.Delay(Timeout.Infinite, receiver._release.Token).ContinueWith(_ => { });
                    return;
                }

                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                if (attempt <= failFirst)
                {
                    context.Response.StatusCode = 503;
                    return;
                }

                receiver.Bodies.Enqueue(body.ToArray());
                context.Response.StatusCode = 204;
            });
            await app.StartAsync();
            return receiver;
        }

        public async ValueTask DisposeAsync()
        {
            await _release.CancelAsync();
            await _app.DisposeAsync();
            _release.Dispose();
        }
    }
}

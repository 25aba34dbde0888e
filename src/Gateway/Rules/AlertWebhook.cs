using System.Net.Http.Headers;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Gateway.Rules;

/// <summary>
/// Sends alerts to <c>Alerts:Webhook:Url</c>: each one an HTTP POST of its JSON
/// (<see cref="AlertJson"/>), retried with backoff (0.5 s, 1 s, 2 s... up to 30 s) until
/// <c>MaxAttempts</c>. Alerts wait in a bounded queue drained by one background task, so a
/// webhook that is down or slow never slows a request: when the queue is full the new alert
/// is dropped, and every alert not delivered is counted (<c>gateway.alerts.webhook.lost</c>).
/// Drops from a full queue are also said in a warning: at once, then at most once per
/// <see cref="DroppedReportInterval"/> with the number dropped since, and at the stop.
/// </summary>
public sealed partial class AlertWebhook : IAlertSink, IAsyncDisposable
{
    /// <summary>The shortest time between two warnings about alerts dropped from a full queue.</summary>
    public static readonly TimeSpan DroppedReportInterval = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly Uri _url;
    private readonly WebhookSettings _settings;
    private readonly HttpClient _client;
    private readonly ILogger _logger;
    private readonly Channel<RuleAlert> _queue;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _worker;
    private long _delivered;
    private long _lost;
    private long _droppedUnsaid;
    private long _nextDroppedReport;
    private volatile bool _stopping;

    /// <summary>Starts the sender; <paramref name="handler"/> replaces the default HTTP handler (tests).</summary>
    public AlertWebhook(WebhookSettings settings, ILogger<AlertWebhook> logger, HttpMessageHandler? handler = null)
    {
        _url = new Uri(settings.Url ?? throw new ArgumentException("Alerts:Webhook:Url is required", nameof(settings)));
        _settings = settings;
        _logger = logger;
        _client = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _queue = Channel.CreateBounded<RuleAlert>(new BoundedChannelOptions(Math.Max(1, settings.QueueSize))
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        _worker = Task.Run(DrainAsync);
    }

    /// <summary>Alerts the webhook acknowledged with a 2xx status.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Alerts lost: dropped because the queue was full, or not delivered after every attempt.</summary>
    public long Lost => Interlocked.Read(ref _lost);

    /// <inheritdoc />
    public void Emit(RuleAlert alert)
    {
        if (!_queue.Writer.TryWrite(alert))
        {
            // The queue is full, or the sender is stopping and takes no more (a request that ends during the stop).
            if (_stopping)
            {
                CountLost("shutdown");
                return;
            }

            CountLost("queue_full");
            Interlocked.Increment(ref _droppedUnsaid);
            var next = Interlocked.Read(ref _nextDroppedReport);
            var now = TimeProvider.System.GetTimestamp();
            if (now >= next && Interlocked.CompareExchange(ref _nextDroppedReport, now + (long)(DroppedReportInterval.TotalSeconds * TimeProvider.System.TimestampFrequency), next) == next)
            {
                // One caller per interval says it; the others only count.
                SayDropped();
            }
        }
    }

    /// <summary>Stops sending: what is still queued is given up to two seconds, then counted as lost; an alert raised from now on is lost at once.</summary>
    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        _queue.Writer.TryComplete();
        _stop.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await _worker.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        while (_queue.Reader.TryRead(out _))
        {
            CountLost("shutdown");
        }

        // Drops since the last warning are not left unsaid.
        SayDropped();

        _client.Dispose();
        _stop.Dispose();
    }

    private async Task DrainAsync()
    {
        try
        {
            await foreach (var alert in _queue.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                bool delivered;
                try
                {
                    delivered = await SendAsync(alert).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    // Stopped while this one was in flight or waiting for its next attempt.
                    CountLost("shutdown");
                    throw;
                }

                if (delivered)
                {
                    Interlocked.Increment(ref _delivered);
                }
                else
                {
                    CountLost("undelivered");
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private async Task<bool> SendAsync(RuleAlert alert)
    {
        var body = AlertJson.Encode(alert);
        var attempts = Math.Max(1, _settings.MaxAttempts);
        var backoff = TimeSpan.FromMilliseconds(500);
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(_settings.TimeoutSeconds));
            string failure;
            try
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = Json;
                using var response = await _client.PostAsync(_url, content, timeout.Token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return true;
                }

                failure = $"status {(int)response.StatusCode}";
            }
            catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
            {
                failure = $"no answer within {_settings.TimeoutSeconds} s";
            }
            catch (HttpRequestException e)
            {
                failure = e.Message;
            }

            if (attempt == attempts)
            {
                Log.WebhookFailed(_logger, alert.Rule, attempts, failure);
                return false;
            }

            await Task.Delay(backoff, _stop.Token).ConfigureAwait(false);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }

        return false;
    }

    private void SayDropped()
    {
        var dropped = Interlocked.Exchange(ref _droppedUnsaid, 0);
        if (dropped > 0)
        {
            Log.QueueFull(_logger, dropped, _settings.QueueSize, DroppedReportInterval.TotalSeconds);
        }
    }

    private void CountLost(string reason)
    {
        Interlocked.Increment(ref _lost);
        RuleMetrics.Lost(reason);
    }
}

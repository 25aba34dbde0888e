namespace Gateway.Rules;

/// <summary>
/// Hands alerts to every sink (the log record, the webhook) and, once a second, reports the
/// matches each rule's interval held back (<see cref="RuleSet.FlushHeldBack"/>), so that a
/// burst that stops is still counted. A sink that throws never reaches the request.
/// </summary>
public sealed class AlertDispatcher : IAsyncDisposable
{
    private readonly IAlertSink[] _sinks;
    private readonly Func<RuleSet> _rules;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _flusher;

    /// <summary>Starts the periodic report of held-back matches of <paramref name="rules"/> (the set in force).</summary>
    public AlertDispatcher(IEnumerable<IAlertSink> sinks, Func<RuleSet> rules, TimeSpan? flushPeriod = null)
    {
        _sinks = [.. sinks];
        _rules = rules;
        _flusher = FlushAsync(flushPeriod ?? TimeSpan.FromSeconds(1));
    }

    /// <summary>Emits <paramref name="alert"/> to every sink.</summary>
    public void Emit(RuleAlert alert)
    {
        foreach (var sink in _sinks)
        {
            try
            {
                sink.Emit(alert);
            }
            catch (Exception)
            {
                // A sink's failure is its own to count; the request goes on.
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _flusher.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task FlushAsync(TimeSpan period)
    {
        using var timer = new PeriodicTimer(period);
        while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
        {
            foreach (var alert in _rules().FlushHeldBack())
            {
                Emit(alert);
            }
        }
    }
}

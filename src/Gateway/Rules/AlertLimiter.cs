namespace Gateway.Rules;

/// <summary>
/// Paces one rule's alerts: the first match alerts at once; then at most one alert per
/// interval, carrying the number of matches it stands for. Matches that no later match
/// reports are handed out by <see cref="TryFlush"/> once their interval is over. A reload
/// that leaves the rule unchanged keeps its limiter (<see cref="RuleSet.Compile"/>).
/// </summary>
internal sealed class AlertLimiter(TimeSpan interval, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly long _interval = (long)(interval.TotalSeconds * time.TimestampFrequency);
    private bool _started;
    private long _nextAllowed;
    private long _pending;

    /// <summary>True while matches are held back.</summary>
    public bool HasPending
    {
        get
        {
            lock (_lock)
            {
                return _pending > 0;
            }
        }
    }

    /// <summary>Counts one match; true when it is to alert now, with <paramref name="count"/> the matches the alert stands for.</summary>
    public bool TryAcquire(out long count)
    {
        lock (_lock)
        {
            // Read under the lock, so that the times grow in the order the matches are counted. Read before
            // it, a match could take the lock after a later one had moved _nextAllowed past its own time and
            // be held back even with an interval of zero: two racing matches became one alert of count 2.
            var now = time.GetTimestamp();
            if (!_started || now >= _nextAllowed)
            {
                _started = true;
                count = _pending + 1;
                _pending = 0;
                _nextAllowed = now + _interval;
                return true;
            }

            _pending++;
            count = 0;
            return false;
        }
    }

    /// <summary>
    /// True when matches were held back and their interval is over (or <paramref name="now"/>: the
    /// rule was changed or removed by a reload, so no later alert of it will report them): they go
    /// out as one alert of <paramref name="count"/>.
    /// </summary>
    public bool TryFlush(out long count, bool now = false)
    {
        lock (_lock)
        {
            var at = time.GetTimestamp();
            if (_pending > 0 && (now || at >= _nextAllowed))
            {
                count = _pending;
                _pending = 0;
                _nextAllowed = at + _interval;
                return true;
            }

            count = 0;
            return false;
        }
    }
}

using Gateway.Rules;

namespace Gateway.Tests.Rules;

public sealed class AlertLimiterTests
{
    [Fact]
    public async Task TryAcquire_IntervalZero_MatchThatReadTheClockFirstIsNotHeldBackByALaterOne()
    {
        var clock = new PausingClock();
        var limiter = new AlertLimiter(TimeSpan.Zero, clock);
        Assert.True(limiter.TryAcquire(out _));

        // The first racer stops inside its clock read; the second comes while it is stopped there.
        clock.PauseAt = clock.Reads + 1;
        long firstCount = 0, secondCount = 0;
        var first = Task.Run(() => limiter.TryAcquire(out firstCount));
        Assert.True(clock.Paused.Wait(TimeSpan.FromSeconds(10)), "the first racer never read the clock");
        var second = Task.Run(() => limiter.TryAcquire(out secondCount));

        // Had the second one read the clock outside the lock, it would be done by now with the later time.
        await Task.WhenAny(second, Task.Delay(500));
        clock.Resume.Set();

        Assert.True(await first, "the match that read the clock first was held back");
        Assert.True(await second);
        Assert.Equal(1, firstCount);
        Assert.Equal(1, secondCount);
        Assert.False(limiter.HasPending);
    }

    /// <summary>A clock whose every read is one tick later; the read numbered <see cref="PauseAt"/> waits for <see cref="Resume"/>.</summary>
    private sealed class PausingClock : TimeProvider
    {
        private long _reads;

        public long PauseAt { get; set; } = -1;

        public long Reads => Interlocked.Read(ref _reads);

        public ManualResetEventSlim Paused { get; } = new();

        public ManualResetEventSlim Resume { get; } = new();

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp()
        {
            var read = Interlocked.Increment(ref _reads);
            if (read == PauseAt)
            {
                Paused.Set();
                Resume.Wait(TimeSpan.FromSeconds(10));
            }

            return TimeSpan.TicksPerDay + read;
        }
    }
}

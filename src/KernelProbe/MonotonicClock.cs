using System.Runtime.InteropServices;

namespace KernelProbe;

/// <summary>CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns(), so kernel timestamps can be aged.</summary>
public static partial class MonotonicClock
{
    private const int ClockMonotonic = 1;

    /// <summary>Now, in nanoseconds since boot (suspend excluded), as the BPF programs read it.</summary>
    public static unsafe ulong NowNs()
    {
        TimeSpec ts;
        if (ClockGetTime(ClockMonotonic, &ts) != 0)
            throw new ProbeException("read CLOCK_MONOTONIC", Marshal.GetLastPInvokeError());
        return (ulong)ts.Seconds * 1_000_000_000UL + (ulong)ts.Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime", SetLastError = true)]
    private static unsafe partial int ClockGetTime(int clock, TimeSpec* ts);
}

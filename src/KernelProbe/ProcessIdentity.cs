using System.Globalization;

namespace KernelProbe;

/// <summary>
/// A process by pid and start time (field 22 of /proc/PID/stat), so that a
/// recycled pid is not mistaken for the process that wrote a record.
/// </summary>
public readonly record struct ProcessIdentity(int Pid, ulong StartTicks)
{
    /// <summary>This process.</summary>
    public static ProcessIdentity Current() => new(Environment.ProcessId, StartTicksOf(Environment.ProcessId) ?? 0);

    /// <summary>True when this very process still runs (a zombie does not: it has released everything but its pid).</summary>
    public bool IsAlive() => Read(Pid) is { } stat && stat.StartTicks == StartTicks && stat.State is not ('Z' or 'X');

    private static ulong? StartTicksOf(int pid) => Read(pid)?.StartTicks;

    private static (char State, ulong StartTicks)? Read(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) is in parentheses and may hold spaces.
            int close = stat.LastIndexOf(')');
            string[] rest = stat[(close + 2)..].Split(' ');
            // rest[0] is field 3 (the state), so field 22 is rest[19].
            return (rest[0][0], ulong.Parse(rest[19], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}

using System.Globalization;

namespace Gateway.Health;

/// <summary>
/// The Linux capabilities this process holds, read from <c>/proc/self/status</c>
/// (<c>CapEff</c>, the set the kernel checks). Root in a container is not all-powerful:
/// <c>--cap-drop ALL</c> leaves uid 0 with an empty set, so the set is what counts.
/// </summary>
/// <param name="Effective">The effective set as a bit mask (bit n is capability n).</param>
/// <param name="Readable">False when the status file could not be read (then the mask is 0).</param>
public sealed record ProcessCapabilities(ulong Effective, bool Readable)
{
    /// <summary>Bit numbers of the capabilities the wire view needs: BPF, NET_ADMIN, PERFMON.</summary>
    public static readonly IReadOnlyList<int> WireViewNeeds = [39, 12, 38];

    // Names by bit number, from linux/capability.h (0 = CAP_CHOWN ... 40 = CAP_CHECKPOINT_RESTORE).
    private static readonly string[] Names =
    [
        "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid", "setpcap",
        "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
        "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
        "sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write", "audit_control", "setfcap",
        "mac_override", "mac_admin", "syslog", "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf",
        "checkpoint_restore",
    ];

    /// <summary>Reads the calling process's effective set.</summary>
    public static ProcessCapabilities Current() => FromStatus(ReadStatus("/proc/self/status"));

    /// <summary>Parses the text of a <c>/proc/PID/status</c> file; null or no <c>CapEff</c> line is "not readable".</summary>
    public static ProcessCapabilities FromStatus(string? status)
    {
        foreach (var line in (status ?? "").Split('\n'))
        {
            if (line.StartsWith("CapEff:", StringComparison.Ordinal)
                && ulong.TryParse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var mask))
            {
                return new ProcessCapabilities(mask, true);
            }
        }

        return new ProcessCapabilities(0, false);
    }

    /// <summary>True when bit <paramref name="capability"/> is in the effective set.</summary>
    public bool Holds(int capability) => capability is >= 0 and < 64 && (Effective & (1UL << capability)) != 0;

    /// <summary>The held capabilities by name (lower case, without <c>cap_</c>); unknown bits as <c>cap_N</c>.</summary>
    public IReadOnlyList<string> HeldNames() =>
        [.. Enumerable.Range(0, 64).Where(Holds).Select(bit => bit < Names.Length ? Names[bit] : $"cap_{bit}")];

    /// <summary>Of the wire view's three, the ones missing, by name.</summary>
    public IReadOnlyList<string> MissingForWireView() =>
        [.. WireViewNeeds.Where(bit => !Holds(bit)).Select(bit => Names[bit])];

    /// <summary>One line for the start report, e.g. <c>bpf, net_admin, perfmon (CapEff 000000c000001000)</c>.</summary>
    public string Describe()
    {
        if (!Readable)
        {
            return "unknown (/proc/self/status has no CapEff line)";
        }

        var held = HeldNames();
        var names = held.Count == 0 ? "none"
            : held.Count >= Names.Length ? $"all {held.Count}"
            : string.Join(", ", held);
        return $"{names} (CapEff {Effective:x16})";
    }

    private static string? ReadStatus(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

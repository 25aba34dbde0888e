using System.Globalization;

namespace EndToEnd.Tests;

/// <summary>
/// What /proc says about processes a test started: the members of a process group and the
/// descendants of a process (each with its start time, so that a reused PID is not taken for
/// the same process), the TCP ports a process listens on, and the BPF programs it holds.
/// </summary>
internal static class ProcessTable
{
    /// <summary>A process as /proc names it: its PID and its start time in clock ticks since boot.</summary>
    public readonly record struct Entry(int Pid, long StartTime, int ParentPid, int Group, string CommandLine)
    {
        /// <summary>True while this very process (not a later one with the same PID) exists, zombies excluded.</summary>
        public bool IsAlive => Read(Pid) is { } now && now.StartTime == StartTime && State(Pid) != 'Z';

        public override string ToString() => $"{Pid} ({CommandLine})";
    }

    /// <summary>Every process whose process group is <paramref name="group"/>, plus every descendant of <paramref name="root"/>.</summary>
    public static List<Entry> GroupAndDescendants(int group, int root)
    {
        var all = All();
        var found = all.Where(e => e.Group == group || e.Pid == root).ToDictionary(e => e.Pid);
        bool grew = true;
        while (grew)
        {
            grew = false;
            foreach (Entry e in all)
            {
                if (!found.ContainsKey(e.Pid) && found.ContainsKey(e.ParentPid))
                {
                    found[e.Pid] = e;
                    grew = true;
                }
            }
        }
        return [.. found.Values.OrderBy(e => e.Pid)];
    }

    /// <summary>The process <paramref name="pid"/> now, or null when there is none.</summary>
    public static Entry? Read(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // "pid (comm) state ppid pgrp session ... starttime(22nd)": comm may hold spaces and parentheses.
        string[] rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        string commandLine;
        try
        {
            commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            commandLine = "";
        }
        return new Entry(pid, long.Parse(rest[19], CultureInfo.InvariantCulture), int.Parse(rest[1], CultureInfo.InvariantCulture),
            int.Parse(rest[2], CultureInfo.InvariantCulture), commandLine);
    }

    /// <summary>The ports <paramref name="pid"/> listens on (TCP, IPv4 and IPv6, in this network namespace).</summary>
    public static HashSet<int> ListeningPorts(int pid)
    {
        var inodes = SocketInodes(pid);
        var listening = ListeningSockets();
        return [.. listening.Where(l => inodes.Contains(l.Inode)).Select(l => l.Port)];
    }

    /// <summary>Every TCP port in LISTEN state in this network namespace, whoever owns it.</summary>
    public static HashSet<int> AllListeningPorts() => [.. ListeningSockets().Select(l => l.Port)];

    /// <summary>The ids of the BPF programs <paramref name="pid"/> holds a file descriptor of (from fdinfo's <c>prog_id</c>).</summary>
    public static HashSet<uint> BpfProgramIds(int pid)
    {
        var ids = new HashSet<uint>();
        foreach (string info in SafeFiles($"/proc/{pid}/fdinfo"))
        {
            try
            {
                foreach (string line in File.ReadLines(info))
                {
                    if (line.StartsWith("prog_id:", StringComparison.Ordinal))
                        ids.Add(uint.Parse(line["prog_id:".Length..].Trim(), CultureInfo.InvariantCulture));
                }
            }
            catch (IOException)
            {
                // The descriptor was closed meanwhile.
            }
        }
        return ids;
    }

    private static char State(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 'X';
        }
    }

    private static List<Entry> All()
    {
        var entries = new List<Entry>();
        foreach (string dir in Directory.GetDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out int pid) && Read(pid) is { } entry)
                entries.Add(entry);
        }
        return entries;
    }

    private static HashSet<long> SocketInodes(int pid)
    {
        var inodes = new HashSet<long>();
        foreach (string fd in SafeFiles($"/proc/{pid}/fd"))
        {
            string? target = null;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
            }
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
                inodes.Add(long.Parse(target["socket:[".Length..^1], CultureInfo.InvariantCulture));
        }
        return inodes;
    }

    // /proc/net/tcp{,6}: "sl local_address rem_address st ... uid timeout inode"; local "ADDR:PORT" in hex, st 0A is LISTEN.
    private static List<(int Port, long Inode)> ListeningSockets()
    {
        var sockets = new List<(int, long)>();
        foreach (string table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            foreach (string line in File.ReadLines(table).Skip(1))
            {
                string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length > 9 && f[3] == "0A")
                    sockets.Add((int.Parse(f[1][(f[1].IndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture), long.Parse(f[9], CultureInfo.InvariantCulture)));
            }
        }
        return sockets;
    }

    private static string[] SafeFiles(string directory)
    {
        try
        {
            return Directory.GetFiles(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}

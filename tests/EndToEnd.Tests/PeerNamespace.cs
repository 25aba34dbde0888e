using System.Diagnostics;

namespace EndToEnd.Tests;

/// <summary>
/// Test hosts in a network namespace of the test's own, joined to the host's namespace (where the
/// gateway runs) by a veth pair: the host side has <c>{prefix}.1</c>, the namespace side the
/// addresses asked for, all in one /29 of 198.18.0.0/15. Sockets made by code passed to
/// <see cref="Run{T}"/> belong to the namespace for their whole life. Disposing removes the
/// namespace, and with it the veth pair and every nftables table made in it, even when the test failed.
/// </summary>
internal sealed class PeerNamespace : IDisposable
{
    private readonly List<string> tables = [];

    public PeerNamespace(string prefix, params int[] hosts)
    {
        // khg-test-* is the prefix scripts/check-leftovers.sh looks for.
        Name = $"khg-test-{Environment.ProcessId}-{Guid.NewGuid():N}"[..28];
        HostInterface = $"khgv{Environment.ProcessId % 100000}{Random.Shared.Next(100):D2}";
        HostAddress = $"{prefix}.1";
        Run("ip", "netns", "add", Name);
        try
        {
            Run("ip", "link", "add", HostInterface, "type", "veth", "peer", "name", "eth0", "netns", Name);
            Run("ip", "addr", "add", $"{HostAddress}/29", "dev", HostInterface);
            // One segment per skb on the way in: a loss rule then drops single segments, as a lossy path would.
            Run("ip", "link", "set", "dev", HostInterface, "gso_max_segs", "1");
            Run("ip", "link", "set", HostInterface, "up");
            foreach (int host in hosts)
                Run("ip", "-n", Name, "addr", "add", $"{prefix}.{host}/29", "dev", "eth0");
            Run("ip", "-n", Name, "link", "set", "eth0", "up");
            Run("ip", "-n", Name, "link", "set", "lo", "up");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Name { get; }

    /// <summary>The veth end in the host's namespace (the gateway's side).</summary>
    public string HostInterface { get; }

    public string HostAddress { get; }

    /// <summary>Loads an nftables table (its text, <c>table inet NAME { ... }</c>) into the namespace.</summary>
    public void AddTable(string name, string ruleset)
    {
        string file = Path.Combine(Path.GetTempPath(), $"{Name}-{name}.nft");
        File.WriteAllText(file, ruleset);
        try
        {
            Run("ip", "netns", "exec", Name, "nft", "-f", file);
            tables.Add(name);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Runs nft inside the namespace and returns its output.</summary>
    public string Nft(params string[] args) => Run("ip", ["netns", "exec", Name, "nft", .. args]);

    /// <summary>Runs <paramref name="action"/> on a thread that has entered the namespace.</summary>
    public T Run<T>(Func<T> action) =>
        // Bounded: what runs here only makes and connects sockets.
        TestSupport.NamespaceThread.Run(Name, action, TimeSpan.FromSeconds(30));

    public void Dispose()
    {
        foreach (string table in tables)
            TryRun("ip", "netns", "exec", Name, "nft", "delete", "table", "inet", table);
        // Removing the namespace removes its veth end, and with it the pair.
        TryRun("ip", "netns", "del", Name);
        TryRun("ip", "link", "del", HostInterface);
    }

    /// <summary>Runs a program to its end (at most 30 s) and fails with its stderr when it fails.</summary>
    public static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process p = Process.Start(psi)!;
        Task<string> output = p.StandardOutput.ReadToEndAsync();
        Task<string> error = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            p.Kill();
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not end within 30 s");
        }
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {p.ExitCode}: {error.Result.Trim()}");
        return output.Result;
    }

    private static void TryRun(string file, params string[] args)
    {
        try
        {
            Run(file, args);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            // Already gone (the namespace takes its veth end and tables with it).
        }
    }

}

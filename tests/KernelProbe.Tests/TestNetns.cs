using System.Diagnostics;

namespace KernelProbe.Tests;

/// <summary>
/// A network namespace of the test's own, with its own lo, removed on
/// dispose even when the test failed. Code passed to <see cref="Run{T}"/>
/// executes on a dedicated thread that has entered the namespace: sockets it
/// creates belong to the namespace for their whole life, and TC attachments it
/// makes land on the namespace's interfaces, never on the host's.
/// </summary>
internal sealed class TestNetns : IDisposable
{

    public TestNetns()
    {
        Name = $"khg-test-{Environment.ProcessId}-{Guid.NewGuid():N}"[..28];
        Ip("netns", "add", Name);
        try
        {
            Ip("-n", Name, "link", "set", "lo", "up");
        }
        catch
        {
            Ip("netns", "del", Name);
            throw;
        }
    }

    public string Name { get; }

    /// <summary>Runs <paramref name="action"/> inside the namespace and returns its result.</summary>
    public T Run<T>(Func<T> action) => TestSupport.NamespaceThread.Run(Name, action);

    public void Run(Action action) => Run(() => { action(); return 0; });

    public void Dispose()
    {
        try
        {
            Ip("netns", "del", Name);
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>Runs iproute2's ip and fails with its stderr when it fails.</summary>
    public static string Ip(params string[] args) => Run("ip", args);

    public static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {p.ExitCode}: {error.Trim()}");
        return output;
    }

}

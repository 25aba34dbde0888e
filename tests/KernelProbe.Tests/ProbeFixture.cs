namespace KernelProbe.Tests;

/// <summary>
/// Kernel tests need root (or CAP_BPF + CAP_NET_ADMIN). Outside CI they are
/// reported as skipped with the reason; under CI=true a missing capability is
/// a failure, never a silent skip.
/// </summary>
internal static class KernelRequirement
{
    public static readonly string ObjectPath = Path.Combine(AppContext.BaseDirectory, "bpf", "probe.bpf.o");

    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Loads a fresh copy of the object: every test gets its own, empty maps.</summary>
    public static BpfObject LoadFresh(uint flowTableSize = 1024)
    {
        try
        {
            return BpfObject.Load(ObjectPath, new Dictionary<string, uint> { ["probe_flows"] = flowTableSize });
        }
        catch (ProbeException e) when (e.IsPermissionDenied && !InCi)
        {
            Skip.If(true, $"loading BPF programs needs CAP_BPF (run as root): {e.Message}");
            throw;
        }
    }
}


using KernelProbe;

namespace KernelProbe.Cli;

/// <summary>
/// <c>kernel-probe</c>: what of the gateway is loaded and attached in the
/// kernel right now, and the same crash cleanup a gateway runs at start.
/// </summary>
public static class Program
{
    private const string Usage = """
        Usage: kernel-probe COMMAND [--registry DIR]
          programs       list the gateway's BPF programs loaded in the kernel
          attachments    list recorded TC attachments and whether their owner still runs
          sweep          detach the TC filters of gateways that are no longer running
          leftovers      exit 1 if programs or attachments of ours remain with no live owner
        """;

    /// <summary>Runs one command; exit 0 on success, 1 on a finding, 2 on misuse.</summary>
    public static int Main(string[] args)
    {
        string? command = args.FirstOrDefault();
        int registryIndex = Array.IndexOf(args, "--registry");
        var registry = new AttachmentRegistry(registryIndex >= 0 && registryIndex + 1 < args.Length
            ? args[registryIndex + 1]
            : AttachmentRegistry.DefaultDirectory);
        try
        {
            return command switch
            {
                "programs" => Programs(),
                "attachments" => Attachments(registry),
                "sweep" => Sweep(registry),
                "leftovers" => Leftovers(registry),
                _ => Misuse(),
            };
        }
        catch (ProbeException e)
        {
            Console.Error.WriteLine($"kernel-probe: {e.Message}");
            return 1;
        }
    }

    private static int Programs()
    {
        foreach (LoadedProgram p in ProgramInventory.Ours())
            Console.Out.WriteLine($"{p.Id,8}  {p.Name,-16} type {p.Type}");
        return 0;
    }

    private static int Attachments(AttachmentRegistry registry)
    {
        foreach ((string file, AttachmentState s) in registry.List())
        {
            string owner = s.Owner.IsAlive() ? "running" : "gone";
            Console.Out.WriteLine($"{s.Interface} {s.Direction.ToString().ToLowerInvariant()} pref {s.Priority} handle 0x{s.Handle:x} {s.ProgramName}:[{s.ProgramId}] owner {s.Owner.Pid} ({owner})  {file}");
        }
        return 0;
    }

    private static int Sweep(AttachmentRegistry registry)
    {
        IReadOnlyList<AttachmentState> removed = registry.SweepStale();
        foreach (AttachmentState s in removed)
            Console.Out.WriteLine($"detached {s.ProgramName}:[{s.ProgramId}] from {s.Interface} {s.Direction.ToString().ToLowerInvariant()} (owner {s.Owner.Pid} is gone)");
        Console.Out.WriteLine($"{removed.Count} stale attachment(s) removed");
        return 0;
    }

    private static int Leftovers(AttachmentRegistry registry)
    {
        var stale = registry.List().Where(r => !r.State.Owner.IsAlive()).ToList();
        bool anyLiveOwner = registry.List().Any(r => r.State.Owner.IsAlive());
        // A running gateway holds its programs legitimately; without one, none may remain.
        IReadOnlyList<LoadedProgram> programs = anyLiveOwner ? [] : ProgramInventory.Ours();
        foreach ((string file, AttachmentState s) in stale)
            Console.Error.WriteLine($"leftover: {s.ProgramName}:[{s.ProgramId}] on {s.Interface} {s.Direction.ToString().ToLowerInvariant()} of dead process {s.Owner.Pid} ({file})");
        foreach (LoadedProgram p in programs)
            Console.Error.WriteLine($"leftover: program {p.Name}:[{p.Id}] is loaded and no gateway is running");
        return stale.Count + programs.Count == 0 ? 0 : 1;
    }

    private static int Misuse()
    {
        Console.Error.WriteLine(Usage);
        return 2;
    }
}

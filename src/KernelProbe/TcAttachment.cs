using System.Diagnostics;
using KernelProbe.Native;

namespace KernelProbe;

/// <summary>Which clsact hook of an interface.</summary>
public enum TcDirection
{
    /// <summary>Packets the interface receives.</summary>
    Ingress,
    /// <summary>Packets the interface sends.</summary>
    Egress,
}

/// <summary>
/// A program attached as a direct-action filter to an interface's clsact hook.
/// The kernel picks the filter's handle and priority, so two gateways on one
/// host never collide. Each attachment is written to the
/// <see cref="AttachmentRegistry"/> so that a later start can remove it if
/// this process dies without detaching. Disposing detaches the filter and,
/// when a gateway created the clsact qdisc, no other gateway is still attached
/// and nothing else is left on it, removes the qdisc too (see
/// <see cref="AttachmentRegistry"/>).
/// </summary>
public sealed unsafe class TcAttachment : IDisposable
{
    private readonly AttachmentRegistry? registry;
    private readonly string? stateFile;
    private int disposed;

    private TcAttachment(string interfaceName, int ifIndex, TcDirection direction, uint handle, uint priority,
        uint programId, string programName, bool createdHook, AttachmentRegistry? registry, string? stateFile)
    {
        Interface = interfaceName;
        IfIndex = ifIndex;
        Direction = direction;
        Handle = handle;
        Priority = priority;
        ProgramId = programId;
        ProgramName = programName;
        CreatedHook = createdHook;
        this.registry = registry;
        this.stateFile = stateFile;
    }

    /// <summary>Interface name.</summary>
    public string Interface { get; }

    /// <summary>Interface index at attach time.</summary>
    public int IfIndex { get; }

    /// <summary>Ingress or egress.</summary>
    public TcDirection Direction { get; }

    /// <summary>The filter handle the kernel assigned.</summary>
    public uint Handle { get; }

    /// <summary>The filter priority the kernel assigned.</summary>
    public uint Priority { get; }

    /// <summary>Kernel id of the attached program.</summary>
    public uint ProgramId { get; }

    /// <summary>Name of the attached program.</summary>
    public string ProgramName { get; }

    /// <summary>True when this attachment created the clsact qdisc.</summary>
    public bool CreatedHook { get; }

    /// <summary>Attaches <paramref name="program"/> to the <paramref name="direction"/> hook of <paramref name="interfaceName"/>.</summary>
    public static TcAttachment Attach(BpfProgram program, string interfaceName, TcDirection direction, AttachmentRegistry? registry = null)
    {
        string what = $"attach tc {direction.ToString().ToLowerInvariant()} {interfaceName}";
        uint ifIndex = LibBpf.IfNameToIndex(interfaceName);
        if (ifIndex == 0)
            throw new ProbeException(what, Errnos.ENODEV, $"no interface named '{interfaceName}' (see `ip link`)");

        BpfTcHook hook = Hook((int)ifIndex, direction);
        int rc = LibBpf.TcHookCreate(&hook);
        bool created = rc == 0;
        if (rc < 0 && -rc != Errnos.EEXIST)
            throw ProbeException.FromResult($"{what}: create clsact qdisc", rc);

        var opts = new BpfTcOpts { Size = (nuint)sizeof(BpfTcOpts), ProgFd = program.Fd };
        rc = LibBpf.TcAttach(&hook, &opts);
        if (rc < 0)
        {
            if (created)
                DestroyHookIfEmpty(interfaceName, (int)ifIndex);
            throw ProbeException.FromResult($"{what}: attach program {program.Name}", rc, LibBpfLog.TakeRecent());
        }

        if (created)
            registry?.MarkHookCreated((int)ifIndex);
        string? file = registry?.Record(new AttachmentState(
            ProcessIdentity.Current(), interfaceName, (int)ifIndex, direction, opts.Handle, opts.Priority,
            opts.ProgId, program.Name, created));
        return new TcAttachment(interfaceName, (int)ifIndex, direction, opts.Handle, opts.Priority,
            opts.ProgId, program.Name, created, registry, file);
    }

    /// <summary>Detaches the filter. Idempotent; never throws.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
            return;
        Detach(IfIndex, Direction, Handle, Priority, ProgramId);
        if (stateFile is not null)
            registry?.Forget(stateFile);
        if (registry is not null)
            registry.ReleaseHook(Interface, IfIndex, CreatedHook);
        else if (CreatedHook)
            DestroyHookIfEmpty(Interface, IfIndex);
    }

    /// <summary>The program id currently attached at (handle, priority), or null when there is no such filter.</summary>
    internal static uint? Query(int ifIndex, TcDirection direction, uint handle, uint priority)
    {
        BpfTcHook hook = Hook(ifIndex, direction);
        var opts = new BpfTcOpts { Size = (nuint)sizeof(BpfTcOpts), Handle = handle, Priority = priority };
        return LibBpf.TcQuery(&hook, &opts) == 0 ? opts.ProgId : null;
    }

    /// <summary>Detaches (handle, priority) if the program there is still <paramref name="programId"/>.</summary>
    internal static bool Detach(int ifIndex, TcDirection direction, uint handle, uint priority, uint programId)
    {
        if (Query(ifIndex, direction, handle, priority) != programId)
            return false;
        BpfTcHook hook = Hook(ifIndex, direction);
        var opts = new BpfTcOpts { Size = (nuint)sizeof(BpfTcOpts), Handle = handle, Priority = priority };
        return LibBpf.TcDetach(&hook, &opts) == 0;
    }

    /// <summary>
    /// Removes the clsact qdisc only when no filter of anyone is left on either
    /// hook: destroying it would take other tools' filters with it. Returns
    /// whether it was removed.
    /// </summary>
    internal static bool DestroyHookIfEmpty(string interfaceName, int ifIndex)
    {
        if (!HookIsEmpty(interfaceName, "ingress") || !HookIsEmpty(interfaceName, "egress"))
            return false;
        BpfTcHook hook = Hook(ifIndex, TcDirection.Ingress);
        hook.AttachPoint = TcAttachPoint.Ingress | TcAttachPoint.Egress;
        return LibBpf.TcHookDestroy(&hook) == 0;
    }

    private static bool HookIsEmpty(string interfaceName, string direction)
    {
        // libbpf 1.1 can query a filter only by handle and priority, not list
        // them; iproute2's tc lists them. When it cannot answer, keep the qdisc.
        try
        {
            var psi = new ProcessStartInfo("tc", ["filter", "show", "dev", interfaceName, direction])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using Process? tc = Process.Start(psi);
            if (tc is null)
                return false;
            string output = tc.StandardOutput.ReadToEnd();
            if (!tc.WaitForExit(5000))
            {
                tc.Kill();
                return false;
            }
            return tc.ExitCode == 0 && string.IsNullOrWhiteSpace(output);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return false;
        }
    }

    private static BpfTcHook Hook(int ifIndex, TcDirection direction) => new()
    {
        Size = (nuint)sizeof(BpfTcHook),
        IfIndex = ifIndex,
        AttachPoint = direction == TcDirection.Ingress ? TcAttachPoint.Ingress : TcAttachPoint.Egress,
    };
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace KernelProbe;

/// <summary>One TC attachment as written to the registry.</summary>
public sealed record AttachmentState(
    ProcessIdentity Owner,
    string Interface,
    int IfIndex,
    TcDirection Direction,
    uint Handle,
    uint Priority,
    uint ProgramId,
    string ProgramName,
    bool CreatedHook);

/// <summary>
/// Where this library notes the TC filters it attached (one small JSON file
/// each, under /run by default), so that a start after a crash removes exactly
/// the filters a dead gateway left and never anyone else's: a filter is removed
/// only when its owner process is gone and the same program still sits at the
/// recorded handle and priority.
/// </summary>
public sealed class AttachmentRegistry(string directory)
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    /// <summary>The default directory: /run/kernel-header-gateway.</summary>
    public const string DefaultDirectory = "/run/kernel-header-gateway";

    /// <summary>The registry directory.</summary>
    public string Directory { get; } = directory;

    /// <summary>Why the latest record could not be written; null when it was.</summary>
    public string? Problem { get; private set; }

    /// <summary>Writes a record and returns its file path.</summary>
    internal string? Record(AttachmentState state)
    {
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            string file = Path.Combine(Directory,
                $"tc-{state.Owner.Pid}-{state.IfIndex}-{state.Direction.ToString().ToLowerInvariant()}-{state.Handle:x}-{state.Priority}.json");
            File.WriteAllText(file, JsonSerializer.Serialize(state, Json));
            Problem = null;
            return file;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Without a record a crash would leave the filter until the next
            // reboot or a manual sweep, but the gateway itself still works.
            Problem = $"cannot record TC attachments in {Directory} ({e.Message}); if this gateway crashes, its filters stay attached until `kernel-probe sweep` runs with access to that directory or the interface goes away";
            return null;
        }
    }

    internal void Forget(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Every recorded attachment, with its file.</summary>
    public IReadOnlyList<(string File, AttachmentState State)> List()
    {
        var result = new List<(string, AttachmentState)>();
        if (!System.IO.Directory.Exists(Directory))
            return result;
        foreach (string file in System.IO.Directory.EnumerateFiles(Directory, "tc-*.json"))
        {
            try
            {
                if (JsonSerializer.Deserialize<AttachmentState>(File.ReadAllText(file), Json) is { } state)
                    result.Add((file, state));
            }
            catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
            {
            }
        }
        return result;
    }

    /// <summary>
    /// Removes the filters whose owner is no longer running, and their records.
    /// Returns what was removed.
    /// </summary>
    public IReadOnlyList<AttachmentState> SweepStale()
    {
        var removed = new List<AttachmentState>();
        foreach ((string file, AttachmentState state) in List())
        {
            if (state.Owner.IsAlive())
                continue;
            if (TcAttachment.Detach(state.IfIndex, state.Direction, state.Handle, state.Priority, state.ProgramId))
                removed.Add(state);
            Forget(file);
            ReleaseHook(state.Interface, state.IfIndex, state.CreatedHook);
        }
        return removed;
    }

    /// <summary>Notes that a gateway created the clsact qdisc of an interface.</summary>
    internal void MarkHookCreated(int ifIndex)
    {
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            File.WriteAllText(HookMarker(ifIndex), "");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Then only the gateway that created it removes it.
        }
    }

    /// <summary>
    /// Called when a gateway's filter left an interface: the clsact qdisc goes when a
    /// gateway created it (this one, or any, per the marker), no live gateway still has
    /// a filter recorded there, and nothing of anyone else sits on it. The last gateway
    /// out removes it, whichever created it; a qdisc that was there before is kept.
    /// </summary>
    internal void ReleaseHook(string interfaceName, int ifIndex, bool createdHere)
    {
        if (!createdHere && !File.Exists(HookMarker(ifIndex)))
            return;
        if (List().Any(r => r.State.IfIndex == ifIndex && r.State.Owner.IsAlive()))
            return;
        if (TcAttachment.DestroyHookIfEmpty(interfaceName, ifIndex))
            Forget(HookMarker(ifIndex));
    }

    private string HookMarker(int ifIndex) => Path.Combine(Directory, $"hook-{ifIndex}.created");
}

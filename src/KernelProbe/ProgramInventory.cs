using System.Text;
using KernelProbe.Native;

namespace KernelProbe;

/// <summary>A BPF program loaded in the kernel, by id and name.</summary>
/// <param name="Id">Kernel program id.</param>
/// <param name="Name">Program name (at most 15 characters, as the kernel keeps it).</param>
/// <param name="Type">BPF program type number (1 socket filter, 3 sched_cls).</param>
public sealed record LoadedProgram(uint Id, string Name, uint Type);

/// <summary>
/// Lists the BPF programs loaded in the kernel (all of them, not only this
/// process's), so that tools and tests can tell whether programs of the
/// gateway's are still there.
/// </summary>
public static unsafe class ProgramInventory
{
    /// <summary>Programs whose names are this project's (<see cref="WireProbe.SocketProgramName"/>, <see cref="WireProbe.TcProgramName"/>).</summary>
    public static IReadOnlyList<LoadedProgram> Ours() =>
        All().Where(p => p.Name is WireProbe.SocketProgramName or WireProbe.TcProgramName).ToList();

    /// <summary>Every program the kernel has loaded; needs CAP_SYS_ADMIN.</summary>
    public static IReadOnlyList<LoadedProgram> All()
    {
        var result = new List<LoadedProgram>();
        uint id = 0;
        while (true)
        {
            uint next;
            int rc = LibBpf.ProgGetNextId(id, &next);
            if (rc < 0)
            {
                if (-rc == Errnos.ENOENT)
                    return result;
                throw ProbeException.FromResult("list loaded BPF programs", rc);
            }
            id = next;
            int fd = LibBpf.ProgGetFdById(id);
            if (fd < 0)
                continue; // unloaded in between
            try
            {
                BpfProgInfo info = default;
                uint length = (uint)sizeof(BpfProgInfo);
                if (LibBpf.ObjGetInfoByFd(fd, &info, &length) == 0)
                {
                    var name = new ReadOnlySpan<byte>(info.Name, 16);
                    int end = name.IndexOf((byte)0);
                    result.Add(new LoadedProgram(info.Id, Encoding.ASCII.GetString(end < 0 ? name : name[..end]), info.Type));
                }
            }
            finally
            {
                LibBpf.Close(fd);
            }
        }
    }
}

using System.Runtime.InteropServices;
using System.Text;
using KernelProbe.Native;

namespace KernelProbe;

/// <summary>
/// A loaded BPF object file: its programs and maps live in the kernel for as
/// long as this instance is not disposed. Disposing closes every program and
/// map file descriptor the object owns; attachments must be disposed first.
/// </summary>
public sealed unsafe class BpfObject : IDisposable
{
    private const int VerifierLogSize = 1 << 20;
    private nint handle;
    private readonly Dictionary<string, BpfProgram> programs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BpfMap> maps = new(StringComparer.Ordinal);

    private BpfObject(nint handle, string path)
    {
        this.handle = handle;
        Path = path;
    }

    /// <summary>The ELF file the object was loaded from.</summary>
    public string Path { get; }

    /// <summary>
    /// Opens and loads <paramref name="path"/> into the kernel, first resizing
    /// the maps named in <paramref name="mapSizes"/>. A verifier rejection
    /// carries the verifier log.
    /// </summary>
    public static BpfObject Load(string path, IReadOnlyDictionary<string, uint>? mapSizes = null)
    {
        LibBpfLog.Install();
        if (!File.Exists(path))
            throw new ProbeException($"open BPF object {path}", Errnos.ENOENT, "the file does not exist: build the solution (it compiles bpf/) or check the path");

        byte* log = (byte*)NativeMemory.AllocZeroed(VerifierLogSize);
        try
        {
            var opts = new BpfObjectOpenOpts
            {
                Size = (nuint)sizeof(BpfObjectOpenOpts),
                KernelLogBuffer = log,
                KernelLogSize = VerifierLogSize,
                KernelLogLevel = 0,
            };
            LibBpfLog.TakeRecent();
            nint obj = LibBpf.ObjectOpenFile(path, &opts);
            if (obj == 0)
                throw ProbeException.FromLastError($"open BPF object {path}", LibBpfLog.TakeRecent());

            try
            {
                foreach ((string name, uint size) in mapSizes ?? new Dictionary<string, uint>())
                {
                    nint map = LibBpf.ObjectFindMapByName(obj, name);
                    if (map == 0)
                        throw new ProbeException($"size map {name} in {path}", Errnos.ENOENT, "the object has no map of that name");
                    int rc = LibBpf.MapSetMaxEntries(map, size);
                    if (rc < 0)
                        throw ProbeException.FromResult($"size map {name} to {size} entries", rc);
                }

                int loaded = LibBpf.ObjectLoad(obj);
                if (loaded < 0)
                {
                    string? verifier = Marshal.PtrToStringUTF8((nint)log);
                    string? detail = string.IsNullOrWhiteSpace(verifier) ? LibBpfLog.TakeRecent() : ProbeException.VerifierLogHeading + "\n" + Tail(verifier, 8000);
                    throw ProbeException.FromResult($"load BPF object {System.IO.Path.GetFileName(path)}", loaded, detail);
                }
            }
            catch
            {
                LibBpf.ObjectClose(obj);
                throw;
            }
            return new BpfObject(obj, path);
        }
        finally
        {
            NativeMemory.Free(log);
        }
    }

    /// <summary>The program named <paramref name="name"/> (the C function name).</summary>
    public BpfProgram Program(string name)
    {
        lock (programs)
        {
            if (programs.TryGetValue(name, out BpfProgram? existing))
                return existing;
            nint prog = LibBpf.ObjectFindProgramByName(Handle, name);
            if (prog == 0)
                throw new ProbeException($"find program {name} in {Path}", Errnos.ENOENT);
            var program = new BpfProgram(name, LibBpf.ProgramFd(prog));
            programs.Add(name, program);
            return program;
        }
    }

    /// <summary>The map named <paramref name="name"/>.</summary>
    public BpfMap Map(string name)
    {
        lock (maps)
        {
            if (maps.TryGetValue(name, out BpfMap? existing))
                return existing;
            nint map = LibBpf.ObjectFindMapByName(Handle, name);
            if (map == 0)
                throw new ProbeException($"find map {name} in {Path}", Errnos.ENOENT);
            var result = new BpfMap(name, LibBpf.MapFd(map), LibBpf.MapMaxEntries(map));
            maps.Add(name, result);
            return result;
        }
    }

    /// <summary>Size and member offsets (bytes) of a struct, read from the object's BTF.</summary>
    public BtfStructLayout StructLayout(string structName)
    {
        const uint BtfKindStruct = 4;
        nint btf = LibBpf.ObjectBtf(Handle);
        if (btf == 0)
            throw new ProbeException($"read BTF of {Path}", Errnos.ENOENT, "the object carries no BTF (compile with -g)");
        int id = LibBpf.BtfFindByNameKind(btf, structName, BtfKindStruct);
        if (id < 0)
            throw ProbeException.FromResult($"find struct {structName} in the BTF of {Path}", id);
        BtfType* type = LibBpf.BtfTypeById(btf, (uint)id);
        int vlen = (int)(type->Info & 0xffff);
        bool bitfields = (type->Info & 0x80000000) != 0;
        var members = new List<BtfStructMember>(vlen);
        BtfMember* member = (BtfMember*)(type + 1);
        for (int i = 0; i < vlen; i++, member++)
        {
            uint bits = bitfields ? member->Offset & 0xffffff : member->Offset;
            string name = Marshal.PtrToStringUTF8((nint)LibBpf.BtfNameByOffset(btf, member->NameOffset)) ?? "";
            long size = LibBpf.BtfResolveSize(btf, member->Type);
            members.Add(new BtfStructMember(name, (int)(bits / 8), (int)size));
        }
        return new BtfStructLayout(structName, (int)type->SizeOrType, members);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        nint h = Interlocked.Exchange(ref handle, 0);
        if (h != 0)
            LibBpf.ObjectClose(h);
    }

    private nint Handle => handle != 0 ? handle : throw new ObjectDisposedException(nameof(BpfObject));

    private static string Tail(string text, int max) =>
        text.Length <= max ? text.TrimEnd('\0', '\n') : "…" + text[^max..].TrimEnd('\0', '\n');
}

/// <summary>A struct as BTF describes it.</summary>
public sealed record BtfStructLayout(string Name, int Size, IReadOnlyList<BtfStructMember> Members);

/// <summary>One member of a BTF struct: its byte offset and size.</summary>
public sealed record BtfStructMember(string Name, int Offset, int Size);

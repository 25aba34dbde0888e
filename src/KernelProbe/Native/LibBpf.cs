using System.Runtime.InteropServices;

namespace KernelProbe.Native;

/// <summary>
/// Declarations of the libbpf 1.1 API used by this library, bound to the
/// system's libbpf.so.1. No logic lives here. Functions that return int
/// return a negative errno; functions that return a pointer return null and
/// set errno (libbpf 1.x strict mode).
/// </summary>
internal static unsafe partial class LibBpf
{
    private const string Library = "libbpf.so.1";

    [LibraryImport(Library, EntryPoint = "bpf_object__open_file", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint ObjectOpenFile(string path, BpfObjectOpenOpts* opts);

    [LibraryImport(Library, EntryPoint = "bpf_object__load")]
    internal static partial int ObjectLoad(nint obj);

    [LibraryImport(Library, EntryPoint = "bpf_object__close")]
    internal static partial void ObjectClose(nint obj);

    [LibraryImport(Library, EntryPoint = "bpf_object__find_program_by_name", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint ObjectFindProgramByName(nint obj, string name);

    [LibraryImport(Library, EntryPoint = "bpf_object__find_map_by_name", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint ObjectFindMapByName(nint obj, string name);

    [LibraryImport(Library, EntryPoint = "bpf_object__btf")]
    internal static partial nint ObjectBtf(nint obj);

    [LibraryImport(Library, EntryPoint = "bpf_program__fd")]
    internal static partial int ProgramFd(nint prog);

    [LibraryImport(Library, EntryPoint = "bpf_map__fd")]
    internal static partial int MapFd(nint map);

    [LibraryImport(Library, EntryPoint = "bpf_map__set_max_entries")]
    internal static partial int MapSetMaxEntries(nint map, uint maxEntries);

    [LibraryImport(Library, EntryPoint = "bpf_map__max_entries")]
    internal static partial uint MapMaxEntries(nint map);

    [LibraryImport(Library, EntryPoint = "bpf_map_lookup_elem")]
    internal static partial int MapLookupElem(int fd, void* key, void* value);

    [LibraryImport(Library, EntryPoint = "bpf_map_update_elem")]
    internal static partial int MapUpdateElem(int fd, void* key, void* value, ulong flags);

    [LibraryImport(Library, EntryPoint = "bpf_map_delete_elem")]
    internal static partial int MapDeleteElem(int fd, void* key);

    [LibraryImport(Library, EntryPoint = "bpf_map_get_next_key")]
    internal static partial int MapGetNextKey(int fd, void* key, void* nextKey);

    [LibraryImport(Library, EntryPoint = "bpf_tc_hook_create")]
    internal static partial int TcHookCreate(BpfTcHook* hook);

    [LibraryImport(Library, EntryPoint = "bpf_tc_hook_destroy")]
    internal static partial int TcHookDestroy(BpfTcHook* hook);

    [LibraryImport(Library, EntryPoint = "bpf_tc_attach")]
    internal static partial int TcAttach(BpfTcHook* hook, BpfTcOpts* opts);

    [LibraryImport(Library, EntryPoint = "bpf_tc_detach")]
    internal static partial int TcDetach(BpfTcHook* hook, BpfTcOpts* opts);

    [LibraryImport(Library, EntryPoint = "bpf_tc_query")]
    internal static partial int TcQuery(BpfTcHook* hook, BpfTcOpts* opts);

    [LibraryImport(Library, EntryPoint = "bpf_prog_test_run_opts")]
    internal static partial int ProgTestRunOpts(int progFd, BpfTestRunOpts* opts);

    [LibraryImport(Library, EntryPoint = "bpf_prog_get_next_id")]
    internal static partial int ProgGetNextId(uint startId, uint* nextId);

    [LibraryImport(Library, EntryPoint = "bpf_prog_get_fd_by_id")]
    internal static partial int ProgGetFdById(uint id);

    [LibraryImport(Library, EntryPoint = "bpf_obj_get_info_by_fd")]
    internal static partial int ObjGetInfoByFd(int fd, void* info, uint* infoLen);

    [LibraryImport(Library, EntryPoint = "ring_buffer__new", SetLastError = true)]
    internal static partial nint RingBufferNew(int mapFd, delegate* unmanaged<nint, void*, nuint, int> sampleCallback, nint ctx, void* opts);

    [LibraryImport(Library, EntryPoint = "ring_buffer__poll")]
    internal static partial int RingBufferPoll(nint rb, int timeoutMs);

    [LibraryImport(Library, EntryPoint = "ring_buffer__consume")]
    internal static partial int RingBufferConsume(nint rb);

    [LibraryImport(Library, EntryPoint = "ring_buffer__free")]
    internal static partial void RingBufferFree(nint rb);

    [LibraryImport(Library, EntryPoint = "btf__find_by_name_kind", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int BtfFindByNameKind(nint btf, string name, uint kind);

    [LibraryImport(Library, EntryPoint = "btf__type_by_id")]
    internal static partial BtfType* BtfTypeById(nint btf, uint id);

    [LibraryImport(Library, EntryPoint = "btf__name_by_offset")]
    internal static partial byte* BtfNameByOffset(nint btf, uint offset);

    [LibraryImport(Library, EntryPoint = "btf__resolve_size")]
    internal static partial long BtfResolveSize(nint btf, uint typeId);

    [LibraryImport(Library, EntryPoint = "libbpf_set_print")]
    internal static partial nint SetPrint(nint fn);

    [LibraryImport("libc", EntryPoint = "if_nametoindex", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial uint IfNameToIndex(string name);

    [LibraryImport("libc", EntryPoint = "close")]
    internal static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    internal static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap")]
    internal static partial int Munmap(nint address, nuint length);
}

/// <summary>struct bpf_object_open_opts (libbpf 1.1), 80 bytes.</summary>
[StructLayout(LayoutKind.Explicit, Size = 80)]
internal unsafe struct BpfObjectOpenOpts
{
    [FieldOffset(0)] public nuint Size;
    [FieldOffset(8)] public byte* ObjectName;
    [FieldOffset(56)] public byte* KernelLogBuffer;
    [FieldOffset(64)] public nuint KernelLogSize;
    [FieldOffset(72)] public uint KernelLogLevel;
}

/// <summary>struct bpf_tc_hook (libbpf 1.1), 24 bytes.</summary>
[StructLayout(LayoutKind.Explicit, Size = 24)]
internal struct BpfTcHook
{
    [FieldOffset(0)] public nuint Size;
    [FieldOffset(8)] public int IfIndex;
    [FieldOffset(12)] public TcAttachPoint AttachPoint;
    [FieldOffset(16)] public uint Parent;
}

/// <summary>enum bpf_tc_attach_point.</summary>
internal enum TcAttachPoint
{
    Ingress = 1,
    Egress = 2,
}

/// <summary>struct bpf_tc_opts (libbpf 1.1), 32 bytes.</summary>
[StructLayout(LayoutKind.Explicit, Size = 32)]
internal struct BpfTcOpts
{
    [FieldOffset(0)] public nuint Size;
    [FieldOffset(8)] public int ProgFd;
    [FieldOffset(12)] public uint Flags;
    [FieldOffset(16)] public uint ProgId;
    [FieldOffset(20)] public uint Handle;
    [FieldOffset(24)] public uint Priority;
}

/// <summary>struct bpf_test_run_opts (libbpf 1.1), 80 bytes.</summary>
[StructLayout(LayoutKind.Explicit, Size = 80)]
internal unsafe struct BpfTestRunOpts
{
    [FieldOffset(0)] public nuint Size;
    [FieldOffset(8)] public void* DataIn;
    [FieldOffset(16)] public void* DataOut;
    [FieldOffset(24)] public uint DataSizeIn;
    [FieldOffset(28)] public uint DataSizeOut;
    [FieldOffset(32)] public void* ContextIn;
    [FieldOffset(40)] public void* ContextOut;
    [FieldOffset(48)] public uint ContextSizeIn;
    [FieldOffset(52)] public uint ContextSizeOut;
    [FieldOffset(56)] public uint ReturnValue;
    [FieldOffset(60)] public int Repeat;
    [FieldOffset(64)] public uint Duration;
    [FieldOffset(68)] public uint Flags;
    [FieldOffset(72)] public uint Cpu;
    [FieldOffset(76)] public uint BatchSize;
}

/// <summary>The head of struct bpf_prog_info (kernel UAPI) that this library reads.</summary>
[StructLayout(LayoutKind.Explicit, Size = 232)]
internal unsafe struct BpfProgInfo
{
    [FieldOffset(0)] public uint Type;
    [FieldOffset(4)] public uint Id;
    [FieldOffset(64)] public fixed byte Name[16];
}

/// <summary>struct btf_type (kernel UAPI); members follow it for structs.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct BtfType
{
    public uint NameOffset;
    public uint Info;
    public uint SizeOrType;
}

/// <summary>struct btf_member (kernel UAPI).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct BtfMember
{
    public uint NameOffset;
    public uint Type;
    public uint Offset;
}

/// <summary>libbpf helpers that are not object or map calls.</summary>
internal static unsafe partial class LibBpfMisc
{
    [LibraryImport("libbpf.so.1", EntryPoint = "libbpf_num_possible_cpus")]
    internal static partial int NumPossibleCpus();

    [LibraryImport("libc", EntryPoint = "vsnprintf")]
    internal static partial int VsnPrintf(byte* buffer, nuint size, byte* format, nint args);
}

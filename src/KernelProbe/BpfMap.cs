using System.Runtime.CompilerServices;
using KernelProbe.Native;

namespace KernelProbe;

/// <summary>
/// A map of a loaded <see cref="BpfObject"/>, accessed from user space by
/// value (keys and values are the unmanaged mirrors in Abi.cs).
/// </summary>
public sealed unsafe class BpfMap
{
    internal BpfMap(string name, int fd, uint maxEntries)
    {
        Name = name;
        Fd = fd;
        MaxEntries = maxEntries;
    }

    /// <summary>The map's name.</summary>
    public string Name { get; }

    /// <summary>The map's file descriptor, owned by the object.</summary>
    public int Fd { get; }

    /// <summary>Capacity the map was created with.</summary>
    public uint MaxEntries { get; }

    internal bool TryLookup<TKey, TValue>(in TKey key, out TValue value)
        where TKey : unmanaged
        where TValue : unmanaged
    {
        TValue result = default;
        TKey k = key;
        int rc = LibBpf.MapLookupElem(Fd, &k, &result);
        value = result;
        if (rc == 0)
            return true;
        if (-rc == Errnos.ENOENT)
            return false;
        throw ProbeException.FromResult($"look up an entry of map {Name}", rc);
    }

    internal void Update<TKey, TValue>(in TKey key, in TValue value)
        where TKey : unmanaged
        where TValue : unmanaged
    {
        TKey k = key;
        TValue v = value;
        int rc = LibBpf.MapUpdateElem(Fd, &k, &v, 0);
        if (rc < 0)
            throw ProbeException.FromResult($"update an entry of map {Name}", rc);
    }

    internal bool Delete<TKey>(in TKey key)
        where TKey : unmanaged
    {
        TKey k = key;
        int rc = LibBpf.MapDeleteElem(Fd, &k);
        if (rc == 0)
            return true;
        if (-rc == Errnos.ENOENT)
            return false;
        throw ProbeException.FromResult($"delete an entry of map {Name}", rc);
    }

    internal List<TKey> Keys<TKey>()
        where TKey : unmanaged
    {
        var keys = new List<TKey>();
        TKey next = default;
        int rc = LibBpf.MapGetNextKey(Fd, null, &next);
        while (rc == 0 && keys.Count <= MaxEntries)
        {
            keys.Add(next);
            TKey current = next;
            rc = LibBpf.MapGetNextKey(Fd, &current, &next);
        }
        if (rc < 0 && -rc != Errnos.ENOENT)
            throw ProbeException.FromResult($"iterate map {Name}", rc);
        return keys;
    }

    /// <summary>Reads one slot of a per-CPU array of u64 and sums it over every possible CPU.</summary>
    internal ulong SumPerCpu(uint index)
    {
        int cpus = LibBpfMisc.NumPossibleCpus();
        if (cpus <= 0)
            throw ProbeException.FromResult("count possible CPUs", cpus);
        ulong* values = stackalloc ulong[cpus];
        uint k = index;
        int rc = LibBpf.MapLookupElem(Fd, &k, values);
        if (rc < 0)
            throw ProbeException.FromResult($"read slot {index} of per-CPU map {Name}", rc);
        ulong sum = 0;
        for (int i = 0; i < cpus; i++)
            sum += values[i];
        return sum;
    }

    internal static int SizeOf<T>() where T : unmanaged => Unsafe.SizeOf<T>();
}

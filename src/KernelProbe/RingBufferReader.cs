using System.Runtime.InteropServices;
using KernelProbe.Native;

namespace KernelProbe;

/// <summary>
/// Drains a BPF ring buffer on a dedicated thread and hands each record, as
/// raw bytes, to a callback. The kernel side never blocks: when the buffer is
/// full it drops and counts (PROBE_STAT_EVENT_DROPPED).
/// </summary>
public sealed unsafe class RingBufferReader : IDisposable
{
    private readonly Action<ReadOnlySpan<byte>> onRecord;
    private readonly Thread thread;
    private GCHandle self;
    private nint ring;
    private volatile bool stopping;

    /// <summary>Starts draining <paramref name="map"/> (a BPF_MAP_TYPE_RINGBUF).</summary>
    public RingBufferReader(BpfMap map, Action<ReadOnlySpan<byte>> onRecord, string threadName = "bpf-ringbuf")
    {
        this.onRecord = onRecord;
        self = GCHandle.Alloc(this);
        ring = LibBpf.RingBufferNew(map.Fd, &OnSample, GCHandle.ToIntPtr(self), null);
        if (ring == 0)
        {
            self.Free();
            throw ProbeException.FromLastError($"open ring buffer {map.Name}");
        }
        thread = new Thread(Run) { IsBackground = true, Name = threadName };
        thread.Start();
    }

    /// <summary>Records that the callback threw on; the reader keeps going.</summary>
    public long CallbackFailures { get; private set; }

    private void Run()
    {
        while (!stopping)
        {
            int rc = LibBpf.RingBufferPoll(ring, 100);
            if (rc < 0 && -rc != 4 /* EINTR */)
                Thread.Sleep(100);
        }
    }

    [UnmanagedCallersOnly]
    private static int OnSample(nint ctx, void* data, nuint size)
    {
        var reader = (RingBufferReader)GCHandle.FromIntPtr(ctx).Target!;
        try
        {
            reader.onRecord(new ReadOnlySpan<byte>(data, (int)size));
        }
        catch (Exception)
        {
            reader.CallbackFailures++;
        }
        return 0;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (stopping)
            return;
        stopping = true;
        if (thread.IsAlive)
            thread.Join();
        LibBpf.RingBufferFree(ring);
        ring = 0;
        self.Free();
    }
}

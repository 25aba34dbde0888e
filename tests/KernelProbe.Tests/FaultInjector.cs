using System.Runtime.InteropServices;

namespace KernelProbe.Tests;

/// <summary>
/// Delay and loss on the peer's end of a veth link (netem is not available on
/// every kernel; this uses only BPF and AF_PACKET). Must be created and disposed
/// inside the peer's namespace.
/// </summary>
internal sealed class FaultInjector : IDisposable
{
    private const uint Mark = 0xD17A;
    private readonly BpfObject obj;
    private readonly List<TcAttachment> attachments = [];
    private readonly RingBufferReader? reader;
    private readonly PacketSocket? sender;
    private readonly Thread? scheduler;
    private readonly PriorityQueue<byte[], long> due = new();
    private readonly TimeSpan delay;
    private volatile bool stopping;

    public FaultInjector(string interfaceName, TimeSpan delay = default, uint dropEvery = 0, uint dropBudget = 0)
    {
        this.delay = delay;
        obj = BpfObject.Load(Path.Combine(AppContext.BaseDirectory, "bpf", "faults.bpf.o"));
        obj.Map("fault_config").Update(0u, new FaultConfig
        {
            DelayEnabled = delay > TimeSpan.Zero ? 1u : 0u,
            Mark = Mark,
            DropEvery = dropEvery,
            DropBudget = dropBudget,
        });
        if (delay > TimeSpan.Zero)
        {
            sender = new PacketSocket(interfaceName, Mark);
            reader = new RingBufferReader(obj.Map("fault_frames"), OnFrame, "fault-delay");
            scheduler = new Thread(Run) { IsBackground = true, Name = "fault-delay-send" };
            scheduler.Start();
            attachments.Add(TcAttachment.Attach(obj.Program("fault_delay"), interfaceName, TcDirection.Egress));
        }
        if (dropEvery > 0)
            attachments.Add(TcAttachment.Attach(obj.Program("fault_drop"), interfaceName, TcDirection.Ingress));
    }

    public uint Dropped => State.Dropped;

    public uint Delayed => State.Delayed;

    public int Resent => resent;

    public string SendErrors => sendError ?? "none";

    private int resent;
    private string? sendError;

    private FaultState State => obj.Map("fault_state").TryLookup(0u, out FaultState s) ? s : default;

    private void OnFrame(ReadOnlySpan<byte> data)
    {
        int len = BitConverter.ToInt32(data);
        byte[] frame = data.Slice(4, len).ToArray();
        FixTcpChecksum(frame);
        long at = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        lock (due)
        {
            due.Enqueue(frame, at);
            Monitor.Pulse(due);
        }
    }

    private void Run()
    {
        while (!stopping)
        {
            byte[]? frame = null;
            lock (due)
            {
                if (due.TryPeek(out _, out long at))
                {
                    long wait = at - System.Diagnostics.Stopwatch.GetTimestamp();
                    if (wait <= 0)
                        frame = due.Dequeue();
                    else
                        Monitor.Wait(due, TimeSpan.FromSeconds((double)wait / System.Diagnostics.Stopwatch.Frequency));
                }
                else
                {
                    Monitor.Wait(due, 50);
                }
            }
            if (frame is not null)
            {
                try
                {
                    sender!.Send(frame);
                    Interlocked.Increment(ref resent);
                }
                catch (InvalidOperationException e)
                {
                    sendError = e.Message;
                }
            }
        }
    }

    /// <summary>
    /// A frame taken at egress may still await checksum offload (only the
    /// pseudo-header sum is filled in); sent again through AF_PACKET nothing
    /// would complete it, so it is computed here.
    /// </summary>
    private static void FixTcpChecksum(byte[] frame)
    {
        const int ip = 14;
        int ihl = (frame[ip] & 0x0f) * 4;
        int total = (frame[ip + 2] << 8) | frame[ip + 3];
        int tcp = ip + ihl;
        int tcpLength = total - ihl;
        frame[tcp + 16] = 0;
        frame[tcp + 17] = 0;
        uint sum = 0;
        for (int i = 0; i < 8; i += 2)
            sum += (uint)((frame[ip + 12 + i] << 8) | frame[ip + 13 + i]);
        sum += 6u + (uint)tcpLength;
        for (int i = 0; i < tcpLength; i += 2)
            sum += (uint)((frame[tcp + i] << 8) | (i + 1 < tcpLength ? frame[tcp + i + 1] : 0));
        while (sum >> 16 != 0)
            sum = (sum & 0xffff) + (sum >> 16);
        ushort checksum = (ushort)~sum;
        frame[tcp + 16] = (byte)(checksum >> 8);
        frame[tcp + 17] = (byte)checksum;
    }

    public void Dispose()
    {
        stopping = true;
        lock (due)
            Monitor.PulseAll(due);
        scheduler?.Join();
        foreach (TcAttachment a in attachments)
            a.Dispose();
        reader?.Dispose();
        sender?.Dispose();
        obj.Dispose();
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct FaultConfig
    {
        public uint DelayEnabled;
        public uint Mark;
        public uint DropEvery;
        public uint DropBudget;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct FaultState
    {
        public uint DataSegments;
        public uint Dropped;
        public uint Delayed;
        public uint Pad;
    }
}

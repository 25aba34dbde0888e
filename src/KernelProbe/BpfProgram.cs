using KernelProbe.Native;

namespace KernelProbe;

/// <summary>
/// A program of a loaded <see cref="BpfObject"/>. Its file descriptor belongs
/// to the object: it stays valid until the object is disposed.
/// </summary>
public sealed unsafe class BpfProgram
{
    internal BpfProgram(string name, int fd)
    {
        Name = name;
        Fd = fd;
    }

    /// <summary>The program's name (its C function name).</summary>
    public string Name { get; }

    /// <summary>The program's file descriptor.</summary>
    public int Fd { get; }

    /// <summary>The kernel's id of the program (what <c>tc filter show</c> and bpftool print).</summary>
    public uint Id
    {
        get
        {
            BpfProgInfo info = default;
            uint length = (uint)sizeof(BpfProgInfo);
            int rc = LibBpf.ObjGetInfoByFd(Fd, &info, &length);
            if (rc < 0)
                throw ProbeException.FromResult($"read info of program {Name}", rc);
            return info.Id;
        }
    }

    /// <summary>
    /// Runs the program in the kernel on <paramref name="packet"/> (an Ethernet
    /// frame) with BPF_PROG_TEST_RUN. <paramref name="context"/> optionally
    /// supplies a <c>struct __sk_buff</c> (e.g. to set <c>gso_segs</c>).
    /// </summary>
    public TestRunResult TestRun(ReadOnlySpan<byte> packet, int repeat = 1, ReadOnlySpan<byte> context = default)
    {
        byte[] output = new byte[Math.Max(packet.Length + 256, 1024)];
        fixed (byte* data = packet)
        fixed (byte* ctx = context)
        fixed (byte* outp = output)
        {
            var opts = new BpfTestRunOpts
            {
                Size = (nuint)sizeof(BpfTestRunOpts),
                DataIn = data,
                DataSizeIn = (uint)packet.Length,
                DataOut = outp,
                DataSizeOut = (uint)output.Length,
                ContextIn = context.IsEmpty ? null : ctx,
                ContextSizeIn = (uint)context.Length,
                Repeat = repeat,
            };
            int rc = LibBpf.ProgTestRunOpts(Fd, &opts);
            if (rc < 0)
                throw ProbeException.FromResult($"test-run program {Name} on a {packet.Length}-byte packet", rc);
            return new TestRunResult(opts.ReturnValue, opts.Duration, output.AsSpan(0, (int)Math.Min(opts.DataSizeOut, (uint)output.Length)).ToArray());
        }
    }
}

/// <summary>Outcome of one BPF_PROG_TEST_RUN.</summary>
/// <param name="ReturnValue">What the program returned.</param>
/// <param name="DurationNs">Mean run time per repetition, in nanoseconds, as the kernel measured it.</param>
/// <param name="DataOut">The packet after the run.</param>
public sealed record TestRunResult(uint ReturnValue, uint DurationNs, byte[] DataOut);

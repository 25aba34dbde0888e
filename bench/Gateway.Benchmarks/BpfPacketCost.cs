using System.Globalization;
using System.Net;
using KernelProbe;
using KernelProbe.Tests;

namespace Gateway.Benchmarks;

/// <summary>
/// The BPF programs' cost per packet, as the kernel measures it: each packet is run with
/// BPF_PROG_TEST_RUN and a large repeat count, and the kernel reports the mean time of one
/// repetition. Several runs per packet, median reported. The flow table is filled first
/// (the SYN runs once), so data and ACK segments hit an existing flow as on a live
/// connection.
/// </summary>
internal static class BpfPacketCost
{
    private static readonly IPAddress Client4 = IPAddress.Parse("198.18.0.1");
    private static readonly IPAddress Gateway4 = IPAddress.Parse("198.18.0.2");
    private static readonly IPAddress Client6 = IPAddress.Parse("2001:db8::1");
    private static readonly IPAddress Gateway6 = IPAddress.Parse("2001:db8::2");

    public static int Run(string[] args)
    {
        var repeat = 1_000_000;
        var runs = 7;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--repeat": repeat = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--runs": runs = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine($"bpf: unknown option {args[i]}"); return 2;
            }
        }

        WireProbe probe;
        try
        {
            probe = WireProbe.Start(new WireProbeOptions { Interfaces = [], RegistryDirectory = null });
        }
        catch (ProbeException e)
        {
            Console.Out.WriteLine($"BPF per-packet cost skipped: loading the probe failed (needs root or CAP_BPF): {e.Message}");
            return 0;
        }

        using (probe)
        {
            var synIn4 = new TcpFrame { Source = Client4, Destination = Gateway4, Options = TcpFrame.LinuxSynOptions(65495, 7) }.Build();
            var synIn6 = new TcpFrame { Source = Client6, Destination = Gateway6, Options = TcpFrame.LinuxSynOptions(65475, 7) }.Build();
            var dataIn4 = new TcpFrame { Source = Client4, Destination = Gateway4, Flags = Tcp.Ack | Tcp.Psh, Seq = 1001, Options = TcpFrame.TimestampOptions(), Payload = 154 }.Build();
            var ackIn4 = new TcpFrame { Source = Client4, Destination = Gateway4, Flags = Tcp.Ack, Seq = 1155, Options = TcpFrame.TimestampOptions() }.Build();
            var dataIn6 = new TcpFrame { Source = Client6, Destination = Gateway6, Flags = Tcp.Ack | Tcp.Psh, Seq = 1001, Options = TcpFrame.TimestampOptions(), Payload = 154 }.Build();
            var synAckOut4 = Out(Gateway4, Client4, Tcp.Syn | Tcp.Ack, TcpFrame.LinuxSynOptions(65495, 7), 0);
            var dataOut4 = Out(Gateway4, Client4, Tcp.Ack | Tcp.Psh, TcpFrame.TimestampOptions(), 601);
            var ackOut4 = Out(Gateway4, Client4, Tcp.Ack, TcpFrame.TimestampOptions(), 0);
            var dataOut6 = Out(Gateway6, Client6, Tcp.Ack | Tcp.Psh, TcpFrame.TimestampOptions(), 601);
            var foreign4 = new TcpFrame { Source = IPAddress.Parse("198.18.0.9"), Destination = Client4, SourcePort = 5432, DestinationPort = 50000, Flags = Tcp.Ack | Tcp.Psh, Options = TcpFrame.TimestampOptions(), Payload = 200 }.Build();

            var key4 = new FlowKey(Gateway4, 8080, Client4, 40000);
            var socket = probe.SocketProgram;
            var tc = probe.TcProgram;

            var rows = new List<(string Program, string Packet, Func<double> Measure)>
            {
                // A new connection: the flow is removed before each single run (repeat 1
                // includes the test-run loop's own overhead; it is an upper bound).
                (socket.Name, "IPv4 SYN with options, new flow (repeat 1, 200 runs)", () => NewFlowSyn(probe, synIn4, key4)),
                (socket.Name, "IPv4 SYN with options, flow exists (retransmission)", () => Mean(socket, synIn4, repeat)),
                (socket.Name, "IPv4 data segment, 154 B payload", () => Mean(socket, dataIn4, repeat)),
                (socket.Name, "IPv4 pure ACK", () => Mean(socket, ackIn4, repeat)),
                (socket.Name, "IPv6 SYN with options, flow exists", () => Mean(socket, synIn6, repeat)),
                (socket.Name, "IPv6 data segment, 154 B payload", () => Mean(socket, dataIn6, repeat)),
                (tc.Name, "IPv4 SYN-ACK of an accepted flow", () => Mean(tc, synAckOut4, repeat)),
                (tc.Name, "IPv4 data segment, 601 B payload", () => Mean(tc, dataOut4, repeat)),
                (tc.Name, "IPv4 pure ACK", () => Mean(tc, ackOut4, repeat)),
                (tc.Name, "IPv6 data segment, 601 B payload", () => Mean(tc, dataOut6, repeat)),
                (tc.Name, "IPv4 segment of a flow not the gateway's", () => Mean(tc, foreign4, repeat)),
            };

            // Fill the table: the peer's SYNs create the records the later packets hit.
            Check(socket, synIn4, socket: true);
            Check(socket, synIn6, socket: true);
            if (!probe.TryGetFlow(key4, out _))
            {
                Console.Error.WriteLine("bpf: the SYN did not create a flow record; the figures would not be representative");
                return 1;
            }

            Console.Out.WriteLine($"### BPF cost per packet (BPF_PROG_TEST_RUN, repeat {repeat:N0}, median of {runs} runs)");
            Console.Out.WriteLine();
            Console.Out.WriteLine("| program | packet | ns/packet (median) | min | max |");
            Console.Out.WriteLine("|---|---|---:|---:|---:|");
            foreach (var (program, packet, measure) in rows)
            {
                var samples = Enumerable.Range(0, runs).Select(_ => measure()).Order().ToArray();
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {program} | {packet} | {Median(samples):0.0} | {samples[0]:0.0} | {samples[^1]:0.0} |"));
            }

            Console.Out.WriteLine();
            Console.Out.WriteLine("The kernel's duration of a test run is the mean time of one repetition, in ns.");
            return 0;
        }
    }

    private static byte[] Out(IPAddress gateway, IPAddress client, byte flags, byte[] options, int payload) =>
        new TcpFrame { Source = gateway, Destination = client, SourcePort = 8080, DestinationPort = 40000, Flags = flags, Seq = 5000, Options = options, Payload = payload }.Build();

    private static double Mean(BpfProgram program, byte[] packet, int repeat) => program.TestRun(packet, repeat).DurationNs;

    private static double NewFlowSyn(WireProbe probe, byte[] syn, FlowKey key)
    {
        var samples = new double[200];
        for (var i = 0; i < samples.Length; i++)
        {
            probe.RemoveFlow(key);
            samples[i] = probe.SocketProgram.TestRun(syn, 1).DurationNs;
        }

        Array.Sort(samples);
        return Median(samples);
    }

    private static void Check(BpfProgram program, byte[] packet, bool socket)
    {
        var result = program.TestRun(packet);
        var ok = socket ? result.ReturnValue >= packet.Length - 14 : result.ReturnValue == 0;
        if (!ok)
        {
            throw new InvalidOperationException($"{program.Name} returned {result.ReturnValue}: it would change the packet's fate");
        }
    }

    private static double Median(double[] sorted) =>
        sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
}

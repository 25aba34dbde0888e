using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using DashboardFixture;

namespace EndToEnd.Tests;

/// <summary>
/// <c>./run.sh --dashboard</c> as a person runs it: the Aspire Dashboard, the gateway and its
/// demo backend come up, and Ctrl-C or SIGTERM leaves nothing behind: no process of the script's
/// process group or tree, no listening port of theirs, nothing of the gateway's in the kernel.
/// </summary>
/// <remarks>
/// The gateway's ports are the script's own override (extra arguments go to the gateway), picked
/// free here, so that the test never meets a demo someone runs on 8080 and 8081; the dashboard's
/// are the kernel's pick, as in every run of the script. In the loopback collection: the gateway
/// attaches to the host's lo.
/// </remarks>
[Collection(HostLoopback.Name)]
public sealed partial class RunScriptTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string Registry = "/run/kernel-header-gateway";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    [SkippableTheory]
    [InlineData(2, true)]   // Ctrl-C in a terminal: SIGINT to the whole foreground process group
    [InlineData(15, false)] // kill, systemd, an orchestrator: SIGTERM to the script's PID alone
    public async Task RunDashboard_Signal_StopsAllThreeFreesTheirPortsAndDetaches(int signal, bool toGroup)
    {
        Ci.RequireRoot();
        int gatewayPort = FreePort(), healthPort = FreePort(), backendPort = FreePort();
        string records = Directory.CreateTempSubdirectory("run-sh-e2e-").FullName;
        string[] pinsBefore = Pins();
        using var script = StartScript(records,
            "--dashboard",
            "--urls", $"http://127.0.0.1:{gatewayPort}",
            $"--Health:Urls=http://127.0.0.1:{healthPort}",
            $"--Demo:BackendUrl=http://127.0.0.1:{backendPort}",
            $"--ReverseProxy:Clusters:demo:Destinations:backend:Address=http://127.0.0.1:{backendPort}/",
            // On, not the shipped Auto: a kernel that cannot run the wire view fails the test instead of hiding the detach.
            "--KernelProbe:Mode=On");
        var log = new StringBuilder();
        script.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        script.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        script.BeginOutputReadLine();
        script.BeginErrorReadLine();
        string Log() { lock (log) return log.ToString(); }

        int group = script.Id;
        List<ProcessTable.Entry> started = [];
        int gatewayPid = 0;
        try
        {
            // env and setsid exec in place: the PID leads a group of its own once setsid ran.
            for (int i = 0; i < 100 && !script.HasExited && ProcessTable.Read(script.Id)?.Group != group; i++)
                await Task.Delay(50);
            Assert.True(ProcessTable.Read(script.Id)?.Group == group, $"run.sh (PID {group}) does not lead its own process group:\n{Log()}");
            Assert.False(SignalIgnored(script.Id, signal), $"run.sh started with signal {signal} ignored: the test cannot send it");

            Match ready = await WaitForLineAsync(Log, DashboardLine(), script);
            await WaitForLineAsync(Log, GatewayReadyLine(), script);
            int uiPort = int.Parse(ready.Groups["ui"].Value), grpcPort = int.Parse(ready.Groups["grpc"].Value);

            // Up and doing its work: a request through the gateway to the demo backend, the probe's programs held.
            using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
            {
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{gatewayPort}/api/hello")).StatusCode);
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{healthPort}/readyz")).StatusCode);
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{uiPort}/api/telemetry/resources")).StatusCode);
            }

            started = ProcessTable.GroupAndDescendants(group, script.Id);
            output.WriteLine("before the signal: " + string.Join("; ", started));
            ProcessTable.Entry gateway = Assert.Single(started, e => e.CommandLine.Contains("Gateway.dll", StringComparison.Ordinal));
            gatewayPid = gateway.Pid;
            ProcessTable.Entry dashboard = Assert.Single(started, e => e.CommandLine.Contains("Aspire.Dashboard", StringComparison.Ordinal));
            var ports = started.ToDictionary(e => e.Pid, e => ProcessTable.ListeningPorts(e.Pid));
            Assert.Equal(new[] { backendPort, gatewayPort, healthPort }.Order(), ports[gateway.Pid].Order());
            Assert.Equal(3, ports[dashboard.Pid].Count); // UI, OTLP/gRPC, OTLP/HTTP
            Assert.Contains(uiPort, ports[dashboard.Pid]);
            Assert.Contains(grpcPort, ports[dashboard.Pid]);
            HashSet<int> theirPorts = [.. ports.Values.SelectMany(p => p)];

            HashSet<uint> programs = ProcessTable.BpfProgramIds(gateway.Pid);
            Assert.True(programs.Count > 0, $"the gateway holds no BPF program with the wire view on:\n{Log()}");
            string[] attachments = Directory.GetFiles(Registry, $"tc-{gateway.Pid}-*.json");
            Assert.NotEmpty(attachments);
            Assert.Contains("gw_tc_egress", Tc("filter", "show", "dev", "lo", "egress"), StringComparison.Ordinal);

            Assert.Equal(0, Kill(toGroup ? -group : script.Id, signal));

            using (var stop = new CancellationTokenSource(StopTimeout))
            {
                try
                {
                    await script.WaitForExitAsync(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    Assert.Fail($"run.sh did not exit within {StopTimeout} of signal {signal}; still running: {string.Join("; ", started.Where(e => e.IsAlive))}\n{Log()}");
                }
            }
            List<ProcessTable.Entry> left = await WaitUntilGoneAsync(started, TimeSpan.FromSeconds(10));
            output.WriteLine(Log());

            Assert.Equal(128 + signal, script.ExitCode);
            Assert.True(left.Count == 0, $"still running after run.sh exited: {string.Join("; ", left)}");
            Assert.Empty(ProcessTable.GroupAndDescendants(group, script.Id));
            var stillListening = theirPorts.Intersect(ProcessTable.AllListeningPorts()).ToList();
            Assert.True(stillListening.Count == 0, $"ports still listening: {string.Join(", ", stillListening)}");

            // The kernel: the gateway's records, filters and programs are gone, nothing new is pinned.
            Assert.All(attachments, a => Assert.False(File.Exists(a), $"{a} is still recorded"));
            string filters = Tc("filter", "show", "dev", "lo", "egress");
            var loaded = LoadedPrograms();
            Assert.All(programs, id =>
            {
                Assert.DoesNotContain($":[{id}]", filters, StringComparison.Ordinal);
                Assert.DoesNotContain(id, loaded);
            });
            if (!Directory.EnumerateFiles(Registry, "tc-*.json").Any())
                Assert.Empty(Directory.GetFiles(Registry, "hook-*.created"));
            Assert.Equal(pinsBefore, Pins());
            Assert.DoesNotContain("   at ", Log(), StringComparison.Ordinal);
        }
        finally
        {
            // Whatever failed above: nothing the script started survives the test.
            if (!script.HasExited)
                _ = Kill(-group, 9);
            foreach (ProcessTable.Entry e in ProcessTable.GroupAndDescendants(group, script.Id).Concat(started).Where(e => e.IsAlive))
                _ = Kill(e.Pid, 9);
            if (gatewayPid != 0 && Directory.Exists(Registry) && Directory.GetFiles(Registry, $"tc-{gatewayPid}-*.json").Length > 0)
            {
                // A gateway killed (here or by the script) leaves its TC filter attached: detach it as the next gateway would.
                await Task.Delay(500);
                RunKernelProbe("sweep");
            }
            try
            {
                Directory.Delete(records, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>
    /// run.sh in a session and process group of its own (so that the group is exactly what it
    /// started), with SIGINT and SIGTERM at their defaults whatever the test host inherited: a
    /// shell cannot trap a signal that was ignored when it started.
    /// </summary>
    private static Process StartScript(string records, params string[] args)
    {
        var psi = new ProcessStartInfo("env")
        {
            WorkingDirectory = AspireDashboard.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // setsid execs in place (this child is no group leader), so the script's PID is the one started here.
        foreach (string arg in new[] { "--default-signal=INT,TERM", "setsid", Path.Combine(AspireDashboard.RepoRoot, "run.sh") }.Concat(args))
            psi.ArgumentList.Add(arg);
        foreach (string name in psi.Environment.Keys.Where(k => k.StartsWith("OTEL_", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(name);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["Telemetry__JsonLines__Path"] = Path.Combine(records, "access.jsonl");
        return Process.Start(psi)!;
    }

    private static async Task<Match> WaitForLineAsync(Func<string> log, Regex line, Process script)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            Match m = line.Match(log());
            if (m.Success)
                return m;
            if (script.HasExited)
                throw new InvalidOperationException($"run.sh exited with {script.ExitCode} before printing /{line}/:\n{log()}");
            if (deadline.Elapsed > StartTimeout)
                throw new TimeoutException($"run.sh did not print /{line}/ within {StartTimeout}:\n{log()}");
            await Task.Delay(200);
        }
    }

    private static async Task<List<ProcessTable.Entry>> WaitUntilGoneAsync(List<ProcessTable.Entry> processes, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var alive = processes.Where(e => e.IsAlive).ToList();
            if (alive.Count == 0 || deadline.Elapsed > timeout)
                return alive;
            await Task.Delay(100);
        }
    }

    private static bool SignalIgnored(int pid, int signal)
    {
        string line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        ulong mask = Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16);
        return (mask & (1UL << (signal - 1))) != 0;
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    // Everything pinned in the BPF file system (the gateway pins nothing: a pin would outlive it).
    private static string[] Pins() =>
        Directory.Exists("/sys/fs/bpf")
            ? [.. Directory.EnumerateFileSystemEntries("/sys/fs/bpf", "*", SearchOption.AllDirectories).Order()]
            : [];

    // The ids of the loaded BPF programs with the gateway's names, from the project's kernel-probe tool.
    private static HashSet<uint> LoadedPrograms() =>
        [.. RunKernelProbe("programs").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => uint.Parse(l.Trim().Split(' ')[0]))];

    private static string RunKernelProbe(string command)
    {
        var psi = new ProcessStartInfo("dotnet", [KernelProbeCli, command]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"kernel-probe {command} exited with {p.ExitCode}: {stderr.Result}");
        return stdout;
    }

    private static string KernelProbeCli =>
        Path.Combine(typeof(RunScriptTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "KernelProbeCliDir").Value!, "kernel-probe.dll");

    private static string Tc(params string[] args)
    {
        var psi = new ProcessStartInfo("tc", args) { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        string result = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return result;
    }

    // run.sh's line once the dashboard is up and the gateway started: its UI and OTLP/gRPC addresses.
    [GeneratedRegex(@"Aspire Dashboard: http://127\.0\.0\.1:(?<ui>\d+)\S*\s.*OTLP/gRPC at http://127\.0\.0\.1:(?<grpc>\d+)")]
    private static partial Regex DashboardLine();

    [GeneratedRegex(@"Gateway ready: listening on ")]
    private static partial Regex GatewayReadyLine();

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}

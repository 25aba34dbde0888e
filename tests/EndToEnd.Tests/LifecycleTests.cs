using System.Text.Json;
using System.Text.Json.Nodes;

namespace EndToEnd.Tests;

/// <summary>Privileges, SIGTERM and crash recovery of the real gateway process.</summary>
[Collection(HostLoopback.Name)]
public sealed class LifecycleTests : IAsyncLifetime
{
    private const string Registry = "/run/kernel-header-gateway";
    private Backend backend = null!;

    public async Task InitializeAsync() => backend = await Backend.StartAsync();

    public async Task DisposeAsync() => await backend.DisposeAsync();

    [SkippableFact]
    public async Task Start_WithoutBpfCapabilities_ProxiesWithOneWarningAndUnobservedRecords()
    {
        Ci.RequireRoot();
        // Root without CAP_BPF, CAP_SYS_ADMIN, CAP_NET_ADMIN and CAP_PERFMON.
        string[] dropCaps = ["setpriv", "--bounding-set", "-bpf,-sys_admin,-net_admin,-perfmon", "--"];
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url, probeMode: "Auto", wrapper: dropCaps);
        string id = Guid.NewGuid().ToString("N");
        using RawHttpClient client = await RawHttpClient.ConnectAsync(gateway.Url("ipv4"), ttl: 37, tos: 0, mss: 1200);
        (int status, _) = await client.GetAsync("/degraded", ("X-Test-Id", id));

        Assert.Equal(200, status);
        JsonObject record = (await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && r.HasHeader("x-test-id", id)))[0];
        Assert.False(record.Bool("wire.observed"));
        Assert.Null(record.Attributes()["wire.ip.ttl"]);
        string[] warnings = gateway.Output.Split('\n').Where(l => l.Contains("CAP_BPF", StringComparison.Ordinal)).ToArray();
        Assert.True(warnings.Length == 1, $"expected one warning naming CAP_BPF, got:\n{gateway.Output}");
        Assert.Empty(RegistryFiles(gateway.Pid));
    }

    [SkippableFact]
    public async Task Start_ModeOnWithoutBpfCapabilities_RefusesWithReasonAndExitCode2()
    {
        Ci.RequireRoot();
        string[] dropCaps = ["setpriv", "--bounding-set", "-bpf,-sys_admin,-net_admin,-perfmon", "--"];
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url, probeMode: "On", wrapper: dropCaps, waitReady: false);

        int exit = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, exit);
        Assert.Contains("KernelProbe:Mode is On", gateway.Output, StringComparison.Ordinal);
        Assert.Contains("CAP_BPF", gateway.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", gateway.Output, StringComparison.Ordinal);
        Assert.Empty(RegistryFiles(gateway.Pid));
    }

    [SkippableFact]
    public async Task Start_AsUnprivilegedUserWithBpfCapabilities_ObservesTheWire()
    {
        Ci.RequireRoot();
        // nobody, holding only CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON (ambient, so they survive exec).
        string[] nobodyWithCaps =
        [
            "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            "--inh-caps=+bpf,+net_admin,+perfmon", "--ambient-caps=+bpf,+net_admin,+perfmon", "--",
            "env", "HOME=/tmp", "DOTNET_CLI_HOME=/tmp",
        ];
        var before = OurFilterIds();
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url, probeMode: "On", wrapper: nobodyWithCaps);
        string id = Guid.NewGuid().ToString("N");
        using RawHttpClient client = await RawHttpClient.ConnectAsync(gateway.Url("ipv4"), ttl: 33, tos: 0, mss: 1400);
        (int status, _) = await client.GetAsync("/caps", ("X-Test-Id", id));

        Assert.Equal(200, status);
        JsonObject record = (await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && r.HasHeader("x-test-id", id)))[0];
        Assert.True(record.Bool("wire.observed"));
        Assert.Equal(33, record.Long("wire.ip.ttl"));
        // Without write access to /run it says that crash recovery is off, once.
        Assert.Single(gateway.Output.Split('\n'), l => l.Contains("cannot record TC attachments", StringComparison.Ordinal));
        Assert.Equal(0, await gateway.StopAsync(TimeSpan.FromSeconds(20)));
        // Other gateways may attach meanwhile (they record themselves); this one could not record itself.
        var recordedByLiveOwners = Directory.Exists(Registry)
            ? Directory.GetFiles(Registry, "tc-*.json").Select(f => JsonNode.Parse(File.ReadAllText(f))!["ProgramId"]!.ToString()).ToHashSet()
            : [];
        Assert.All(OurFilterIds(), id => Assert.True(before.Contains(id) || recordedByLiveOwners.Contains(id), $"gw_tc_egress:[{id}] is still attached"));
    }

    private static HashSet<string> OurFilterIds() =>
        System.Text.RegularExpressions.Regex.Matches(Tc("filter", "show", "dev", "lo", "egress"), @"gw_tc_egress:\[(\d+)\]")
            .Select(m => m.Groups[1].Value).ToHashSet();

    [SkippableFact]
    public async Task Sigterm_AfterTraffic_ExitsZeroAndDetachesEverything()
    {
        Ci.RequireRoot();
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url);
        using (RawHttpClient client = await RawHttpClient.ConnectAsync(gateway.Url("ipv4"), 64, 0, 1400))
            Assert.Equal(200, (await client.GetAsync("/bye")).Status);
        JsonObject state = Assert.Single(RegistryFiles(gateway.Pid));
        string pref = state["Priority"]!.ToString();
        Assert.Contains("gw_tc_egress", Tc("filter", "show", "dev", "lo", "egress", "pref", pref), StringComparison.Ordinal);

        int exit = await gateway.StopAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(0, exit);
        Assert.Empty(RegistryFiles(gateway.Pid));
        Assert.DoesNotContain("gw_tc_egress", Tc("filter", "show", "dev", "lo", "egress", "pref", pref), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Start_AfterCrash_RemovesDeadGatewaysFilterAndKeepsLiveOnes()
    {
        Ci.RequireRoot();
        await using GatewayProcess live = await GatewayProcess.StartAsync(backend.Url);
        string liveProgram = $"gw_tc_egress:[{Assert.Single(RegistryFiles(live.Pid))["ProgramId"]}]";

        GatewayProcess crashed = await GatewayProcess.StartAsync(backend.Url);
        string deadProgram = $"gw_tc_egress:[{Assert.Single(RegistryFiles(crashed.Pid))["ProgramId"]}]";
        System.Diagnostics.Process.GetProcessById(crashed.Pid).Kill();
        await Task.Delay(500);
        // The kernel keeps a dead process's TC filter (and its program) attached.
        Assert.Contains(deadProgram, Tc("filter", "show", "dev", "lo", "egress"), StringComparison.Ordinal);

        await using GatewayProcess next = await GatewayProcess.StartAsync(backend.Url);

        string filters = Tc("filter", "show", "dev", "lo", "egress");
        Assert.DoesNotContain(deadProgram, filters, StringComparison.Ordinal);
        Assert.Contains(liveProgram, filters, StringComparison.Ordinal);
        Assert.Empty(RegistryFiles(crashed.Pid));
        Assert.Single(RegistryFiles(next.Pid));
        await crashed.DisposeAsync();
    }

    private static List<JsonObject> RegistryFiles(int pid) =>
        !Directory.Exists(Registry)
            ? []
            : Directory.GetFiles(Registry, $"tc-{pid}-*.json").Select(f => JsonNode.Parse(File.ReadAllText(f))!.AsObject()).ToList();

    private static string Tc(params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("tc", args) { RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output;
    }
}

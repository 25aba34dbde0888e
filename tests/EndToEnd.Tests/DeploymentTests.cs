using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using DashboardFixture;

namespace EndToEnd.Tests;

/// <summary>
/// What can be checked here of deploy/ without a container engine or a cluster: every
/// YAML file parses and the manifests validate against the Kubernetes API schemas
/// (offline), and the gateway starts, ready, with exactly the arguments and environment
/// that the compose file's service and the Deployment's container give it, in a network
/// namespace of the test's own whose interface is called eth0, as in a pod.
/// </summary>
[Collection(HostLoopback.Name)]
public sealed class DeploymentTests
{
    private static string Deploy => Path.Combine(AspireDashboard.RepoRoot, "deploy");

    [Fact]
    public async Task Manifests_ParseAndValidateAgainstTheKubernetesSchemas()
    {
        (int code, string output) = await Node(Path.Combine(Deploy, "check", "check.mjs"));

        Assert.True(code == 0, output);
        Assert.Contains("apps/v1 Deployment/gateway valid", output, StringComparison.Ordinal);
        Assert.Contains("policy/v1 PodDisruptionBudget/gateway valid", output, StringComparison.Ordinal);
        Assert.Contains("compose.yaml: parsed", output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task ComposeService_StartsReadyWithItsOwnCommandAndEnvironment()
    {
        Ci.RequireRoot();
        JsonNode gateway = (await Yaml("compose.yaml"))[0]!["services"]!["gateway"]!;
        string[] args = [.. gateway["command"]!.AsArray().Select(a => (string)a!)];
        var env = gateway["environment"]!.AsObject().ToDictionary(p => p.Key, p => (string)p.Value!);
        string config = await File.ReadAllTextAsync(Path.Combine(Deploy, "gateway.json"));

        await StartsReady(args, env, config, "compose");
    }

    [SkippableFact]
    public async Task KubernetesContainer_StartsReadyWithItsOwnArgsAndEnvironment()
    {
        Ci.RequireRoot();
        JsonArray docs = await Yaml(Path.Combine("kubernetes", "gateway.yaml"));
        JsonNode deployment = docs.Single(d => (string?)d!["kind"] == "Deployment")!;
        JsonNode container = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;
        string[] args = [.. container["args"]!.AsArray().Select(a => (string)a!)];
        var env = container["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => (string)e!["value"]!);
        string config = (string)docs.Single(d => (string?)d!["kind"] == "ConfigMap")!["data"]!["gateway.json"]!;

        // The stop the grace period must cover: the preStop pause, ASP.NET's 30 s request drain
        // (its default ShutdownTimeout) and the telemetry drain (Telemetry:DrainTimeoutSeconds, 5 unless set).
        int grace = (int)deployment["spec"]!["template"]!["spec"]!["terminationGracePeriodSeconds"]!;
        int pause = (int)container["lifecycle"]!["preStop"]!["sleep"]!["seconds"]!;
        int telemetryDrain = env.TryGetValue("Telemetry__DrainTimeoutSeconds", out string? set) ? int.Parse(set) : 5;
        Assert.True(grace > pause + 30 + telemetryDrain, $"terminationGracePeriodSeconds {grace} is not longer than the stop ({pause} + 30 + {telemetryDrain} s)");

        await StartsReady(args, env, config, "k8s");
    }

    private static async Task StartsReady(string[] args, Dictionary<string, string> env, string config, string name)
    {
        string ns = $"gwdep-{name}-{Environment.ProcessId % 10000}";
        string hostSide = $"gwd{name[0]}{Environment.ProcessId % 10000}";
        // 198.18.0.0/15 is for tests; each of the two tests has its own /30.
        string prefix = name == "compose" ? "198.18.77" : "198.18.78";
        string dir = Directory.CreateTempSubdirectory("gateway-deploy-").FullName;
        Process? gateway = null;
        var output = new System.Text.StringBuilder();
        try
        {
            Sh($"ip netns add {ns}");
            Sh($"ip link add {hostSide} type veth peer name eth0 netns {ns}");
            Sh($"ip addr add {prefix}.1/30 dev {hostSide}");
            Sh($"ip link set {hostSide} up");
            Sh($"ip -n {ns} addr add {prefix}.2/30 dev eth0");
            Sh($"ip -n {ns} link set eth0 up");
            Sh($"ip -n {ns} link set lo up");

            // The volume mount: /config/gateway.json is the file the manifest puts there.
            string configPath = Path.Combine(dir, "gateway.json");
            // The container's /tmp is its own: the JSON-lines file goes to this test's folder, not the host's /tmp.
            await File.WriteAllTextAsync(configPath, config.Replace("/tmp/access.jsonl", Path.Combine(dir, "access.jsonl"), StringComparison.Ordinal));
            var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
            foreach (string arg in new[] { "netns", "exec", ns, "dotnet", GatewayProcess.GatewayDll })
                psi.ArgumentList.Add(arg);
            foreach (string arg in args)
                psi.ArgumentList.Add(arg == "/config/gateway.json" ? configPath : arg);
            foreach (string key in psi.Environment.Keys.Where(k => k.StartsWith("OTEL_", StringComparison.Ordinal) || k.StartsWith("ASPNETCORE_", StringComparison.Ordinal)).ToList())
                psi.Environment.Remove(key);
            foreach ((string key, string value) in env)
                psi.Environment[key] = value;
            gateway = Process.Start(psi)!;
            gateway.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
            gateway.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
            gateway.BeginOutputReadLine();
            gateway.BeginErrorReadLine();

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var health = new Uri($"http://{prefix}.2:9090/readyz");
            HttpStatusCode status = 0;
            string body = "";
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(60) && !gateway.HasExited)
            {
                try
                {
                    using var response = await http.GetAsync(health);
                    status = response.StatusCode;
                    body = await response.Content.ReadAsStringAsync();
                    if (status == HttpStatusCode.OK)
                        break;
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException)
                {
                }
                await Task.Delay(200);
            }

            string log;
            lock (output) log = output.ToString();
            Assert.True(status == HttpStatusCode.OK, $"/readyz answered {status}: {body}\n{log}");
            JsonNode report = JsonNode.Parse(body)!;
            Assert.Equal("on", (string?)report["checks"]!["wire_view"]!["status"]);
            Assert.Contains("http://0.0.0.0:8080", (string?)report["checks"]!["listeners"]!["detail"], StringComparison.Ordinal);
            Assert.Contains("Capabilities held: ", log, StringComparison.Ordinal);
            Assert.Contains("TC on eth0 egress", log, StringComparison.Ordinal);
        }
        finally
        {
            if (gateway is { HasExited: false })
            {
                _ = Kill(gateway.Id, 15);
                if (!gateway.WaitForExit(TimeSpan.FromSeconds(20)))
                    gateway.Kill();
                gateway.WaitForExit();
            }
            gateway?.Dispose();
            RunQuiet($"ip link del {hostSide}");
            RunQuiet($"ip netns del {ns}");
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<JsonArray> Yaml(string relative)
    {
        (int code, string output) = await Node(Path.Combine(Deploy, "check", "check.mjs"), "--json", Path.Combine(Deploy, relative));
        Assert.True(code == 0, output);
        return JsonNode.Parse(output)!.AsArray();
    }

    private static async Task<(int Code, string Output)> Node(params string[] args)
    {
        using var install = Process.Start("bash", [Path.Combine(AspireDashboard.RepoRoot, "scripts", "browser", "install.sh")])!;
        await install.WaitForExitAsync();
        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
            psi.ArgumentList.Add(arg);
        using var node = Process.Start(psi)!;
        Task<string> stdout = node.StandardOutput.ReadToEndAsync();
        Task<string> stderr = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (node.ExitCode, await stdout + await stderr);
    }

    private static void Sh(string command)
    {
        (int code, string output) = RunQuiet(command);
        if (code != 0)
            throw new InvalidOperationException($"{command}: exit {code}: {output}");
    }

    private static (int Code, string Output) RunQuiet(string command)
    {
        var psi = new ProcessStartInfo("sh", ["-c", command]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}

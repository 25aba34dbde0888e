using System.Text.Json.Nodes;
using DashboardFixture;

namespace EndToEnd.Tests;

/// <summary>
/// The gateway exporting to the real Aspire Dashboard, started the one shared
/// way (<see cref="AspireDashboard"/> over scripts/dashboard.sh): both legs of
/// a request arrive as one trace, and the dashboard is gone after dispose.
/// </summary>
[Collection(HostLoopback.Name)]
public sealed class DashboardTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [SkippableTheory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task Gateway_AllSignalsToDashboard_OneResourceWithBothLegsCoreAccessRecordAndMetrics(string protocol)
    {
        Ci.RequireRoot();
        await using Backend backend = await Backend.StartAsync();
        await using var dashboard = await AspireDashboard.StartAsync();
        var env = ExportTo(dashboard, protocol);
        env["OTEL_METRIC_EXPORT_INTERVAL"] = "300";
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url, environment: env);
        string id = Guid.NewGuid().ToString("N");
        using RawHttpClient client = await RawHttpClient.ConnectAsync(gateway.Url("ipv4"), ttl: 47, tos: 0, mss: 1300);
        (int status, _) = await client.GetAsync("/dashboard/one-resource", ("X-Test-Id", id), ("X-Dashboard-Probe", "a=b; c=\"d\""));
        Assert.Equal(200, status);

        JsonNode traces = await dashboard.WaitForTelemetryAsync(
            "traces", t => Spans(t).Any(s => Attribute(s, "http.request.header.x-test-id")?.Contains(id) == true)
                           && Spans(t).Count() >= 2, TimeSpan.FromSeconds(20));
        JsonNode server = Spans(traces).Single(s => Attribute(s, "http.request.header.x-test-id")?.Contains(id) == true);
        string traceId = (string)server["traceId"]!;
        string spanId = (string)server["spanId"]!;
        JsonNode upstream = Spans(traces).Single(s => (string?)s["parentSpanId"] == spanId);
        Assert.Equal(traceId, (string?)upstream["traceId"]);

        // Values intact: the captured headers (quotes and all) and the wire facts of both legs.
        Assert.Equal([id], Strings(server, "http.request.header.x-test-id"));
        Assert.Equal(["a=b; c=\"d\""], Strings(server, "http.request.header.x-dashboard-probe"));
        Assert.Equal("47", Attribute(server, "wire.ip.ttl"));
        Assert.Equal("1300", Attribute(server, "wire.tcp.mss"));
        Assert.Equal("true", Attribute(upstream, "wire.observed"));
        Assert.Equal(backend.Url.Port.ToString(), Attribute(upstream, "network.peer.port"));

        // The access record: core beside the exported span, pointing at it.
        JsonNode logs = await dashboard.WaitForTelemetryAsync(
            "logs", l => LogRecords(l).Any(r => (string?)r["traceId"] == traceId), TimeSpan.FromSeconds(20));
        JsonNode access = LogRecords(logs).Single(r => (string?)r["traceId"] == traceId && Attribute(r, "url.path") == "/dashboard/one-resource");
        Assert.Equal(spanId, (string?)access["spanId"]);
        Assert.Equal("200", Attribute(access, "http.response.status_code"));
        Assert.Equal("true", Attribute(access, "wire.observed"));
        Assert.Null(Attribute(access, "http.request.header.x-test-id"));
        Assert.Null(Attribute(access, "wire.ip.ttl"));

        // One resource for everything: spans, records and metrics.
        JsonNode resources = await dashboard.WaitForTelemetryAsync(
            "resources", r => r.AsArray().Count > 1 || r.AsArray().Any(x => (bool?)x!["hasMetrics"] == true), TimeSpan.FromSeconds(20));
        output.WriteLine(resources.ToJsonString());
        JsonNode resource = Assert.Single(resources.AsArray())!;
        Assert.Equal("dashboard-e2e", (string?)resource["name"]);
        Assert.True((bool?)resource["hasTraces"] == true && (bool?)resource["hasLogs"] == true && (bool?)resource["hasMetrics"] == true, resource.ToJsonString());
        Assert.True(Guid.TryParse((string?)resource["instanceId"], out _), resource.ToJsonString());
        Assert.Single(ResourceNames(traces).Distinct());
        Assert.Single(ResourceNames(logs).Distinct());
        Assert.Equal(ResourceNames(traces).First(), ResourceNames(logs).First());
    }

    [SkippableFact]
    public async Task Request_ExportedToDashboard_TraceHasBothLegsWithWireFacts()
    {
        Ci.RequireRoot();
        await using Backend backend = await Backend.StartAsync();
        var dashboard = await AspireDashboard.StartAsync();
        int pid = dashboard.Pid;
        try
        {
            await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url, environment: ExportTo(dashboard, "grpc"));
            string id = Guid.NewGuid().ToString("N");
            using RawHttpClient client = await RawHttpClient.ConnectAsync(gateway.Url("ipv4"), ttl: 41, tos: 0, mss: 1300);
            (int status, _) = await client.GetAsync("/dashboard/check", ("X-Test-Id", id));
            Assert.Equal(200, status);

            JsonNode traces = await dashboard.WaitForTelemetryAsync(
                "traces", t => Spans(t).Count(s => Attribute(s, "http.request.header.x-test-id")?.Contains(id) == true) == 1
                    && Spans(t).Count() >= 2, TimeSpan.FromSeconds(20));
            JsonNode server = Spans(traces).Single(s => Attribute(s, "http.request.header.x-test-id")?.Contains(id) == true);
            JsonNode upstream = Spans(traces).Single(s => (string?)s["parentSpanId"] == (string?)server["spanId"]);
            Assert.Equal((string?)server["traceId"], (string?)upstream["traceId"]);
            Assert.Equal("41", Attribute(server, "wire.ip.ttl"));
            Assert.Equal("true", Attribute(upstream, "wire.observed"));
            Assert.Equal(backend.Url.Port.ToString(), Attribute(upstream, "network.peer.port"));

            JsonNode resources = await dashboard.GetTelemetryAsync("resources");
            Assert.Contains(resources.AsArray(), r => (string?)r!["name"] == "dashboard-e2e");
        }
        finally
        {
            await dashboard.DisposeAsync();
        }
        Assert.False(Directory.Exists($"/proc/{pid}"), $"the dashboard (PID {pid}) still runs after dispose");
    }

    [SkippableFact]
    public async Task Request_InDashboardPage_BrowserShowsBothSpanNamesAndTheClientsTtl()
    {
        Ci.RequireRoot();
        await using Backend backend = await Backend.StartAsync();
        await using var dashboard = await AspireDashboard.StartAsync();
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url, environment: ExportTo(dashboard, "http/protobuf"));
        string id = Guid.NewGuid().ToString("N");
        using RawHttpClient client = await RawHttpClient.ConnectAsync(gateway.Url("ipv4"), ttl: 53, tos: 0, mss: 1300);
        (int status, _) = await client.GetAsync("/browser/check", ("X-Test-Id", id));
        Assert.Equal(200, status);
        JsonNode traces = await dashboard.WaitForTelemetryAsync(
            "traces", t => Spans(t).Count(s => Attribute(s, "http.request.header.x-test-id")?.Contains(id) == true) == 1,
            TimeSpan.FromSeconds(20));
        string traceId = (string)Spans(traces).Single(s => Attribute(s, "http.request.header.x-test-id")?.Contains(id) == true)["traceId"]!;

        // The page as a person sees it: what chromium rendered, read through the screenshots' driver.
        JsonNode page = await BrowserCheck(dashboard.UiUrl, traceId, ["GET {**catch-all}", "HTTP GET 200"], "wire.ip.ttl");

        Assert.Equal(["GET {**catch-all}", "HTTP GET 200"], page["spans"]!.AsArray().Select(n => (string)n!).ToArray());
        Assert.Equal("53", (string?)page["value"]);
    }

    private static async Task<JsonNode> BrowserCheck(Uri dashboard, string traceId, string[] spanNames, string attribute)
    {
        string browser = Path.Combine(AspireDashboard.RepoRoot, "scripts", "browser");
        var install = System.Diagnostics.Process.Start("bash", [Path.Combine(browser, "install.sh")])!;
        await install.WaitForExitAsync();
        Assert.True(install.ExitCode == 0, "scripts/browser/install.sh failed: chromium and puppeteer-core are needed (scripts/setup.sh installs them)");

        var psi = new System.Diagnostics.ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = browser,
        };
        foreach (string arg in new[] { Path.Combine(browser, "check-trace.mjs"), dashboard.ToString(), traceId, string.Join(',', spanNames), attribute })
            psi.ArgumentList.Add(arg);
        using var node = System.Diagnostics.Process.Start(psi)!;
        Task<string> stdout = node.StandardOutput.ReadToEndAsync();
        Task<string> stderr = node.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await node.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            node.Kill(entireProcessTree: true);
            throw new TimeoutException($"check-trace.mjs did not finish in 90 s:\n{await stderr}");
        }
        Assert.True(node.ExitCode == 0, $"check-trace.mjs exited with {node.ExitCode}:\n{await stderr}");
        return JsonNode.Parse(await stdout)!;
    }

    /// <summary>The gateway's environment for exporting to the dashboard over <paramref name="protocol"/>, in batches every 200 ms.</summary>
    private static Dictionary<string, string> ExportTo(AspireDashboard dashboard, string protocol) => new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = (protocol == "grpc" ? dashboard.OtlpGrpcUrl : dashboard.OtlpHttpUrl).ToString(),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol,
        ["OTEL_SERVICE_NAME"] = "dashboard-e2e",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        ["OTEL_BLRP_SCHEDULE_DELAY"] = "200",
    };

    // An array attribute, which the dashboard's API hands out as its JSON text.
    private static string[] Strings(JsonNode item, string name) =>
        JsonNode.Parse(Attribute(item, name) ?? "null")?.AsArray().Select(v => (string)v!).ToArray() ?? [];

    private static IEnumerable<JsonNode> LogRecords(JsonNode logs) =>
        logs["data"]!["resourceLogs"]!.AsArray()
            .SelectMany(r => r!["scopeLogs"]!.AsArray())
            .SelectMany(s => s!["logRecords"]!.AsArray())
            .Select(r => r!);

    // service.name of each resource block of an answer (resourceSpans or resourceLogs).
    private static IEnumerable<string?> ResourceNames(JsonNode answer) =>
        (answer["data"]!["resourceSpans"] ?? answer["data"]!["resourceLogs"])!.AsArray()
            .Select(r => Attribute(r!["resource"]!, "service.name"));

    private static IEnumerable<JsonNode> Spans(JsonNode traces) =>
        traces["data"]!["resourceSpans"]!.AsArray()
            .SelectMany(r => r!["scopeSpans"]!.AsArray())
            .SelectMany(s => s!["spans"]!.AsArray())
            .Select(s => s!);

    private static string? Attribute(JsonNode span, string name) =>
        span["attributes"]?.AsArray().FirstOrDefault(a => (string?)a!["key"] == name)?["value"]?["stringValue"]?.GetValue<string>();
}

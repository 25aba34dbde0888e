using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DashboardFixture;

/// <summary>
/// The real Aspire Dashboard as a child process on loopback, started exactly as
/// <c>./run.sh --dashboard</c> starts it (through <c>scripts/dashboard.sh</c>, which
/// execs the binary, so <see cref="Pid"/> is the dashboard's own). Free ports are
/// picked by the kernel and read from the dashboard's own start lines. Killed by
/// PID on dispose, also when the test failed.
/// </summary>
public sealed partial class AspireDashboard : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private AspireDashboard(Process process) => this.process = process;

    /// <summary>The dashboard's process id (the script execs the binary).</summary>
    public int Pid => process.Id;

    /// <summary>The UI and the telemetry HTTP API, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri UiUrl { get; private set; } = null!;

    /// <summary>The OTLP/gRPC endpoint: the value for <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> with protocol <c>grpc</c>.</summary>
    public Uri OtlpGrpcUrl { get; private set; } = null!;

    /// <summary>The OTLP/HTTP endpoint: the value for <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> with protocol <c>http/protobuf</c>.</summary>
    public Uri OtlpHttpUrl { get; private set; } = null!;

    /// <summary>What the dashboard printed so far, for failure messages.</summary>
    public string Output
    {
        get { lock (output) return output.ToString(); }
    }

    /// <summary>The repository root this test assembly was built from.</summary>
    public static string RepoRoot =>
        typeof(AspireDashboard).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "RepoRoot").Value!;

    /// <summary>
    /// Starts the dashboard through <c>scripts/dashboard.sh</c> and returns once its
    /// three endpoints are bound and its telemetry API answers.
    /// </summary>
    public static async Task<AspireDashboard> StartAsync(CancellationToken cancellationToken = default)
    {
        var psi = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepoRoot,
        };
        psi.ArgumentList.Add(Path.Combine(RepoRoot, "scripts", "dashboard.sh"));
        foreach (string port in new[] { "DASHBOARD_UI_PORT", "DASHBOARD_OTLP_GRPC_PORT", "DASHBOARD_OTLP_HTTP_PORT" })
            psi.Environment[port] = "0";

        var dashboard = new AspireDashboard(Process.Start(psi)!);
        dashboard.process.OutputDataReceived += (_, e) => dashboard.OnLine(e.Data);
        dashboard.process.ErrorDataReceived += (_, e) => dashboard.OnLine(e.Data);
        dashboard.process.BeginOutputReadLine();
        dashboard.process.BeginErrorReadLine();
        _ = dashboard.process.WaitForExitAsync(CancellationToken.None).ContinueWith(
            _ => dashboard.ready.TrySetException(new InvalidOperationException(
                $"the Aspire Dashboard exited with {dashboard.process.ExitCode} before it was ready:\n{dashboard.Output}")),
            TaskScheduler.Default);
        try
        {
            await dashboard.ready.Task.WaitAsync(StartTimeout, cancellationToken);
            await dashboard.WaitForApiAsync(cancellationToken);
        }
        catch
        {
            await dashboard.DisposeAsync();
            throw;
        }
        return dashboard;
    }

    /// <summary>GET of a telemetry API path (<c>resources</c>, <c>traces</c>, <c>logs</c>, <c>spans</c>, with a query if any) as JSON.</summary>
    public async Task<JsonNode> GetTelemetryAsync(string pathAndQuery, CancellationToken cancellationToken = default)
    {
        string body = await http.GetStringAsync(new Uri(UiUrl, "api/telemetry/" + pathAndQuery), cancellationToken);
        return JsonNode.Parse(body) ?? throw new InvalidOperationException($"api/telemetry/{pathAndQuery} answered null");
    }

    /// <summary>
    /// Polls a telemetry API path until <paramref name="accept"/> holds (telemetry
    /// arrives in batches), or fails after <paramref name="timeout"/> with the last answer.
    /// </summary>
    public async Task<JsonNode> WaitForTelemetryAsync(string pathAndQuery, Func<JsonNode, bool> accept, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        JsonNode last;
        while (true)
        {
            last = await GetTelemetryAsync(pathAndQuery);
            if (accept(last))
                return last;
            if (deadline.Elapsed > timeout)
                throw new TimeoutException($"api/telemetry/{pathAndQuery} did not show what was expected in {timeout}; last answer:\n{Truncate(last.ToJsonString())}");
            await Task.Delay(200);
        }
    }

    /// <summary>Kills the dashboard by its PID and waits for it to be gone.</summary>
    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        try
        {
            if (!process.HasExited)
                process.Kill();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(cts.Token);
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
        process.Dispose();
    }

    private async Task WaitForApiAsync(CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(UiUrl, "api/telemetry/resources"), cancellationToken);
                if (response.IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException) when (deadline.Elapsed < StartTimeout)
            {
            }
            if (deadline.Elapsed > StartTimeout)
                throw new TimeoutException($"the Aspire Dashboard's telemetry API did not answer in {StartTimeout}:\n{Output}");
            await Task.Delay(100, cancellationToken);
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
            return;
        lock (output)
            output.AppendLine(line);
        var match = ListeningLine().Match(line);
        if (!match.Success)
            return;
        var url = new Uri(match.Groups["url"].Value.TrimEnd('/') + "/");
        switch (match.Groups["what"].Value)
        {
            case "Now":
                UiUrl = url;
                break;
            case "OTLP/gRPC":
                OtlpGrpcUrl = url;
                break;
            case "OTLP/HTTP":
                OtlpHttpUrl = url;
                break;
        }
        if (UiUrl is not null && OtlpGrpcUrl is not null && OtlpHttpUrl is not null)
            ready.TrySetResult();
    }

    private static string Truncate(string text) => text.Length <= 4000 ? text : text[..4000] + "…";

    [GeneratedRegex(@"^\s*(?<what>Now|OTLP/gRPC|OTLP/HTTP) listening on: (?<url>http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();
}

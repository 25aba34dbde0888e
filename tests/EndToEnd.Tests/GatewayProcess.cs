using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace EndToEnd.Tests;

/// <summary>
/// The real gateway executable as a child process with a configuration of the
/// test's own. Stopped with SIGTERM (and SIGKILL if it hangs) even when the
/// test fails; its stdout and stderr are kept for failure messages.
/// </summary>
internal sealed partial class GatewayProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly TaskCompletionSource<IReadOnlyList<Uri>> ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Uri> listening = [];
    private int expectedListeners = 2;

    private GatewayProcess(Process process, string workDir)
    {
        this.process = process;
        WorkDir = workDir;
    }

    public string WorkDir { get; }

    public string JsonLinesPath => Path.Combine(WorkDir, "access.jsonl");

    /// <summary>The configuration file the gateway watches (rewrite it to reload).</summary>
    public string ConfigPath => Path.Combine(WorkDir, "gateway.json");

    public int Pid => process.Id;

    public IReadOnlyList<Uri> Urls => listening;

    public string Output
    {
        get { lock (output) return output.ToString(); }
    }

    public bool HasExited => process.HasExited;

    public int ExitCode => process.ExitCode;

    public static string GatewayDll =>
        Path.Combine(typeof(GatewayProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "GatewayOutputDir").Value!, "Gateway.dll");

    /// <summary>
    /// Starts the gateway in front of <paramref name="backend"/>. The probe is
    /// <c>On</c> unless told otherwise, so a kernel that cannot run it fails
    /// the test instead of quietly degrading. <paramref name="configure"/> may
    /// change the configuration (routes <c>api</c>, cluster <c>backend</c>) before it is written.
    /// </summary>
    public static async Task<GatewayProcess> StartAsync(
        Uri backend,
        string probeMode = "On",
        IDictionary<string, string>? environment = null,
        string[]? wrapper = null,
        bool waitReady = true,
        Action<JsonObject>? configure = null,
        string urls = "http://127.0.0.1:0;http://[::1]:0")
    {
        string workDir = Directory.CreateTempSubdirectory("gateway-e2e-").FullName;
        // A gateway started as another user (see the wrapper) must be able to write its records here.
        File.SetUnixFileMode(workDir, (UnixFileMode)0x1ff);
        var config = new JsonObject
        {
            ["ReverseProxy"] = new JsonObject
            {
                ["Routes"] = new JsonObject
                {
                    ["api"] = new JsonObject { ["ClusterId"] = "backend", ["Match"] = new JsonObject { ["Path"] = "{**catch-all}" } },
                },
                ["Clusters"] = new JsonObject
                {
                    ["backend"] = new JsonObject
                    {
                        ["Destinations"] = new JsonObject { ["b1"] = new JsonObject { ["Address"] = backend.ToString() } },
                    },
                },
            },
            ["KernelProbe"] = new JsonObject { ["Mode"] = probeMode, ["Interfaces"] = new JsonArray("lo") },
            ["Telemetry"] = new JsonObject { ["JsonLines"] = new JsonObject { ["Path"] = Path.Combine(workDir, "access.jsonl") } },
        };
        configure?.Invoke(config);
        string configPath = Path.Combine(workDir, "gateway.json");
        await File.WriteAllTextAsync(configPath, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        var psi = new ProcessStartInfo
        {
            FileName = wrapper is null ? "dotnet" : wrapper[0],
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in wrapper?.Skip(1) ?? [])
            psi.ArgumentList.Add(arg);
        if (wrapper is not null)
            psi.ArgumentList.Add("dotnet");
        foreach (string arg in new[] { GatewayDll, "--config", configPath, "--urls", urls })
            psi.ArgumentList.Add(arg);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        foreach (string name in psi.Environment.Keys.Where(k => k.StartsWith("OTEL_", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(name);
        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
            psi.Environment[key] = value;

        var gateway = new GatewayProcess(Process.Start(psi)!, workDir) { expectedListeners = urls.Split(';', StringSplitOptions.RemoveEmptyEntries).Length };
        gateway.process.OutputDataReceived += (_, e) => gateway.OnLine(e.Data);
        gateway.process.ErrorDataReceived += (_, e) => gateway.OnLine(e.Data);
        gateway.process.BeginOutputReadLine();
        gateway.process.BeginErrorReadLine();
        _ = gateway.process.WaitForExitAsync().ContinueWith(_ =>
            gateway.ready.TrySetException(new InvalidOperationException($"the gateway exited with {gateway.process.ExitCode} before listening:\n{gateway.Output}")), TaskScheduler.Default);

        if (waitReady)
        {
            try
            {
                await gateway.ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
            }
            catch
            {
                await gateway.DisposeAsync();
                throw;
            }
        }
        return gateway;
    }

    public Uri Url(string family) => listening.First(u => family == "ipv6" ? u.Host.StartsWith('[') : !u.Host.StartsWith('['));

    /// <summary>Sends the process signal <paramref name="signal"/> (e.g. 1, SIGHUP); 0 when it was delivered.</summary>
    public int SendSignal(int signal) => Kill(process.Id, signal);

    /// <summary>Waits for the process to end by itself.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        return process.ExitCode;
    }

    /// <summary>Sends SIGTERM and waits for the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!process.HasExited)
            _ = Kill(process.Id, 15);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"the gateway did not stop within {timeout} of SIGTERM:\n{Output}");
        }
        return process.ExitCode;
    }

    /// <summary>Waits until the gateway's stdout or stderr contains <paramref name="text"/>.</summary>
    public async Task WaitForOutputAsync(string text, int timeoutSeconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the gateway never printed \"{text}\"; its output:\n{Output}");
            await Task.Delay(50);
        }
    }

    /// <summary>Every JSON line written so far, parsed.</summary>
    public IReadOnlyList<JsonObject> Records()
    {
        if (!File.Exists(JsonLinesPath))
            return [];
        using var stream = new FileStream(JsonLinesPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var records = new List<JsonObject>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
                records.Add(JsonNode.Parse(line)!.AsObject());
        }
        return records;
    }

    /// <summary>Waits until <paramref name="count"/> records match.</summary>
    public async Task<IReadOnlyList<JsonObject>> WaitForRecordsAsync(Func<JsonObject, bool> match, int count = 1, int timeoutSeconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            var found = Records().Where(match).ToList();
            if (found.Count >= count)
                return found;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{found.Count} of {count} matching records after {timeoutSeconds}s; file has {Records().Count} records; gateway output:\n{Output}");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
                await StopAsync(TimeSpan.FromSeconds(15));
        }
        catch (TimeoutException)
        {
        }
        process.Dispose();
        try
        {
            Directory.Delete(WorkDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
            return;
        lock (output)
            output.AppendLine(line);
        Match m = ListeningLine().Match(line);
        if (m.Success)
        {
            lock (listening)
            {
                listening.Add(new Uri(m.Groups[1].Value));
                if (listening.Count == expectedListeners)
                    ready.TrySetResult(listening);
            }
        }
    }

    [GeneratedRegex(@"Now listening on: (https?://\S+)")]
    private static partial Regex ListeningLine();

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}

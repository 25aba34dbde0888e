using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace EndToEnd.Tests;

/// <summary>Configuration reloads (valid and refused, routes and policies) while requests flow: none is dropped.</summary>
[Collection(HostLoopback.Name)]
public sealed class ReloadUnderLoadTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task ConfigRewrittenRepeatedly_UnderLoad_EveryRequestSucceedsWithOneRecord()
    {
        Ci.RequireRoot();
        await using var backend = await Backend.StartAsync();
        await using var second = await Backend.StartAsync();
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url, configure: c => c["Telemetry"]!["Console"] = false);
        string configPath = Path.Combine(gateway.WorkDir, "gateway.json");
        var original = JsonNode.Parse(await File.ReadAllTextAsync(configPath))!.AsObject();

        using var http = new HttpClient { BaseAddress = gateway.Url("ipv4"), Timeout = TimeSpan.FromSeconds(10) };
        var failures = new ConcurrentQueue<string>();
        var ids = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            // Bounded by count and by the rewrites finishing (stop), whichever comes first.
            for (int i = 0; i < 20_000 && !stop.IsCancellationRequested; i++)
            {
                string id = $"reload-{w}-{i}";
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, $"/load/{w}/{i}");
                    request.Headers.Add("X-Test-Id", id);
                    using var response = await http.SendAsync(request);
                    await response.Content.ReadAsByteArrayAsync();
                    if (response.StatusCode != HttpStatusCode.OK)
                        failures.Enqueue($"{id}: {(int)response.StatusCode}");
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    failures.Enqueue($"{id}: {e.Message}");
                }
                ids.Add(id);
            }
        })).ToList();

        // Six rewrites: a policy change, a second destination (YARP swaps the cluster), a
        // half-written file (refused), a route change, back to one destination, the original.
        var watch = Stopwatch.StartNew();
        for (int step = 0; step < 6; step++)
        {
            var config = original.DeepClone().AsObject();
            string text;
            switch (step)
            {
                case 0:
                    config["HeaderLogging"] = new JsonObject { ["Redact"] = new JsonArray("x-step-0") };
                    text = config.ToJsonString();
                    break;
                case 1:
                    config["ReverseProxy"]!["Clusters"]!["backend"]!["Destinations"]!["b2"] = new JsonObject { ["Address"] = second.Url.ToString() };
                    text = config.ToJsonString();
                    break;
                case 2:
                    text = config.ToJsonString()[..40];
                    break;
                case 3:
                    config["ReverseProxy"]!["Routes"]!["api"]!["Match"]!["Path"] = "/{**rest}";
                    text = config.ToJsonString();
                    break;
                case 4:
                    config["ReverseProxy"]!["Clusters"]!["backend"]!["Destinations"] = new JsonObject { ["only"] = new JsonObject { ["Address"] = second.Url.ToString() } };
                    text = config.ToJsonString();
                    break;
                default:
                    text = original.ToJsonString();
                    break;
            }
            int before = Reloads(gateway.Output);
            await File.WriteAllTextAsync(configPath, text);
            var deadline = Stopwatch.StartNew();
            while (Reloads(gateway.Output) == before && deadline.Elapsed < TimeSpan.FromSeconds(10))
                await Task.Delay(50);
            Assert.True(Reloads(gateway.Output) > before, $"rewrite {step} was neither applied nor refused:\n{gateway.Output}");
            await Task.Delay(300);
        }
        stop.Cancel();
        await Task.WhenAll(load);

        output.WriteLine($"{ids.Count} requests during 6 rewrites in {watch.Elapsed.TotalSeconds:F1} s; {Reloads(gateway.Output)} reload reports");
        Assert.True(failures.IsEmpty, $"{failures.Count} request(s) failed during reloads, e.g. {string.Join("; ", failures.Take(5))}");
        Assert.Contains("changed but was refused", gateway.Output, StringComparison.Ordinal);
        Assert.True(ids.Count >= 100, $"only {ids.Count} requests ran during the reloads");
        var records = await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && ((string?)r["body"])!.Contains("/load/", StringComparison.Ordinal), ids.Count, 30);
        Assert.Equal(ids.Count, records.Count);
    }

    private static int Reloads(string output) =>
        output.Split('\n').Count(l => l.Contains("changed and was applied", StringComparison.Ordinal) || l.Contains("changed but was refused", StringComparison.Ordinal));
}

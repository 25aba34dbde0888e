using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace EndToEnd.Tests;

/// <summary>
/// Slow and idle clients are bounded by Kestrel's limits (Kestrel:Limits, with the gateway's
/// defaults): a slowloris connection is cut after the configured timeout, idle connections
/// after the keep-alive timeout, connections beyond the cap at once, while normal requests
/// keep being served.
/// </summary>
[Collection(HostLoopback.Name)]
public sealed class SlowClientTests(ITestOutputHelper output) : IAsyncLifetime
{
    private Backend backend = null!;

    public async Task InitializeAsync() => backend = await Backend.StartAsync();

    public async Task DisposeAsync() => await backend.DisposeAsync();

    [SkippableTheory]
    [InlineData("headers")]
    [InlineData("body")]
    public async Task SlowClient_Trickling_ClosedWithinTimeoutWhileOthersServed(string what)
    {
        Ci.RequireRoot();
        const int slow = 10;
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url, configure: c => c["Kestrel"] = new JsonObject
        {
            ["Limits"] = new JsonObject
            {
                ["RequestHeadersTimeout"] = "00:00:03",
                ["MinRequestBodyDataRate"] = new JsonObject { ["BytesPerSecond"] = 1000, ["GracePeriod"] = "00:00:03" },
            },
        });
        var endpoint = new IPEndPoint(IPAddress.Loopback, gateway.Url("ipv4").Port);

        var slowClients = Enumerable.Range(0, slow).Select(_ => Trickle(endpoint, what)).ToList();
        using var http = new HttpClient { BaseAddress = gateway.Url("ipv4"), Timeout = TimeSpan.FromSeconds(5) };
        int served = 0;
        var watch = Stopwatch.StartNew();
        // Normal traffic alongside, bounded by count and time.
        for (int i = 0; i < 200 && watch.Elapsed < TimeSpan.FromSeconds(6); i++)
        {
            using var response = await http.GetAsync($"/normal/{i}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            served++;
            await Task.Delay(20);
        }
        TimeSpan[] closedAfter = await Task.WhenAll(slowClients);

        output.WriteLine($"{what}: slow connections closed after {string.Join(", ", closedAfter.Select(t => $"{t.TotalSeconds:F1}s"))}; {served} normal requests served meanwhile");
        Assert.True(served >= 20, $"only {served} normal requests served");
        // Timeout 3 s (grace 3 s for the body); Kestrel checks once a second. 15 s is the trickle's own bound.
        Assert.All(closedAfter, t => Assert.InRange(t.TotalSeconds, 2.0, 10.0));
    }

    [SkippableFact]
    public async Task IdleConnections_BeyondCapRefusedAndIdleOnesClosedAfterKeepAliveTimeout()
    {
        Ci.RequireRoot();
        const int cap = 20;
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url, configure: c => c["Kestrel"] = new JsonObject
        {
            ["Limits"] = new JsonObject { ["KeepAliveTimeout"] = "00:00:03", ["MaxConcurrentConnections"] = cap },
        });
        var endpoint = new IPEndPoint(IPAddress.Loopback, gateway.Url("ipv4").Port);

        var watch = Stopwatch.StartNew();
        var idle = new List<Task<TimeSpan>>();
        for (int i = 0; i < cap + 10; i++)
            idle.Add(WaitClosed(endpoint, watch));
        TimeSpan[] closedAfter = await Task.WhenAll(idle);

        output.WriteLine($"idle connections closed after {string.Join(", ", closedAfter.Select(t => $"{t.TotalSeconds:F1}s"))}");
        // Beyond the cap: closed at once. Within it: after the keep-alive timeout (3 s), not before.
        Assert.True(closedAfter.Count(t => t < TimeSpan.FromSeconds(1.5)) >= 10, "connections beyond the cap were kept");
        Assert.All(closedAfter, t => Assert.True(t < TimeSpan.FromSeconds(10), $"an idle connection lived {t}"));
        Assert.True(closedAfter.Count(t => t >= TimeSpan.FromSeconds(2.5)) >= cap - 2, "idle connections were closed before the keep-alive timeout");

        // And the gateway serves again once they are gone.
        using var http = new HttpClient { BaseAddress = gateway.Url("ipv4"), Timeout = TimeSpan.FromSeconds(5) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/after")).StatusCode);
    }

    /// <summary>Opens a connection, sends nothing, returns when the gateway closed it (at most 15 s).</summary>
    private static async Task<TimeSpan> WaitClosed(IPEndPoint endpoint, Stopwatch watch)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endpoint);
        var opened = watch.Elapsed;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await socket.ReceiveAsync(new byte[256], cts.Token);
        }
        catch (SocketException)
        {
        }
        catch (OperationCanceledException)
        {
        }
        return watch.Elapsed - opened;
    }

    /// <summary>
    /// Sends a request whose headers (or body) arrive a few bytes every 500 ms; returns when
    /// the gateway closed the connection, bounded by 30 sends (15 s).
    /// </summary>
    private static async Task<TimeSpan> Trickle(IPEndPoint endpoint, string what)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endpoint);
        var watch = Stopwatch.StartNew();
        string head = what == "headers"
            ? "GET /slow HTTP/1.1\r\nHost: slow\r\n"
            : "POST /slow HTTP/1.1\r\nHost: slow\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n";
        var closed = Task.Run(async () =>
        {
            byte[] buffer = new byte[1024];
            try
            {
                while (await socket.ReceiveAsync(buffer) > 0)
                {
                }
            }
            catch (SocketException)
            {
            }
            return watch.Elapsed;
        });
        try
        {
            await socket.SendAsync(Encoding.ASCII.GetBytes(head));
            for (int i = 0; i < 30 && !closed.IsCompleted; i++)
            {
                await Task.Delay(500);
                await socket.SendAsync(Encoding.ASCII.GetBytes(what == "headers" ? $"X-{i}: a\r\n" : "xxxx"));
            }
        }
        catch (SocketException)
        {
        }
        return await closed.WaitAsync(TimeSpan.FromSeconds(5));
    }
}

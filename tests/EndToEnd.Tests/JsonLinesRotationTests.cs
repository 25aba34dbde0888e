using System.Diagnostics;

namespace EndToEnd.Tests;

/// <summary>The gateway process and logrotate's habits: the file renamed, then SIGHUP.</summary>
public sealed class JsonLinesRotationTests : IAsyncLifetime
{
    private Backend backend = null!;

    public async Task InitializeAsync() => backend = await Backend.StartAsync();

    public async Task DisposeAsync() => await backend.DisposeAsync();

    [Fact]
    public async Task RenameThenSighup_TheGatewayKeepsRunningAndWritesTheNextRecordsToANewFile()
    {
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url, probeMode: "Off");
        string run = Guid.NewGuid().ToString("N");
        Uri url = gateway.Url("ipv4");
        Assert.StartsWith("HTTP/1.1 200", await Get(url, $"/before/{run}"), StringComparison.Ordinal);
        await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && ((string?)r["body"])!.Contains($"/before/{run}", StringComparison.Ordinal));

        // logrotate with "nocreate" and a postrotate that sends SIGHUP.
        string rotated = gateway.JsonLinesPath + ".1";
        File.Move(gateway.JsonLinesPath, rotated);
        Assert.Equal(0, gateway.SendSignal(1));

        // Reopened at once, well before the sink's own check would: SIGHUP no longer ends the process.
        var watch = Stopwatch.StartNew();
        while (!File.Exists(gateway.JsonLinesPath) && watch.Elapsed < TimeSpan.FromSeconds(5))
            await Task.Delay(10);
        Assert.True(File.Exists(gateway.JsonLinesPath), "the path was not opened again");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"reopened after {watch.Elapsed.TotalMilliseconds:0} ms");
        Assert.False(gateway.HasExited, gateway.Output);

        Assert.StartsWith("HTTP/1.1 200", await Get(url, $"/after/{run}"), StringComparison.Ordinal);
        await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && ((string?)r["body"])!.Contains($"/after/{run}", StringComparison.Ordinal));
        Assert.Contains($"/before/{run}", await File.ReadAllTextAsync(rotated), StringComparison.Ordinal);
        Assert.DoesNotContain($"/after/{run}", await File.ReadAllTextAsync(rotated), StringComparison.Ordinal);
        Assert.Equal(0, await gateway.StopAsync(TimeSpan.FromSeconds(30)));
    }

    private static Task<string> Get(Uri url, string path) =>
        RawSocket.ExchangeAsync(url, RawSocket.Bytes($"GET {path} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
}

using System.Text.Json.Nodes;

namespace EndToEnd.Tests;

/// <summary>SIGTERM while a request is in flight: it completes, its record is flushed, the process exits 0.</summary>
[Collection(HostLoopback.Name)]
public sealed class ShutdownDrainTests
{
    [SkippableFact]
    public async Task Sigterm_DuringSlowRequest_RequestCompletesAndItsRecordIsFlushed()
    {
        Ci.RequireRoot();
        await using FaultyBackend backend = FaultyBackend.Start(BackendFault.SlowAnswer);
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(backend.Url);
        string id = Guid.NewGuid().ToString("N");
        using RawHttpClient client = await RawHttpClient.ConnectAsync(gateway.Url("ipv4"), ttl: 44, tos: 0, mss: 1400);

        var request = client.GetAsync("/in-flight", ("X-Test-Id", id));
        await Task.Delay(700);
        Assert.False(request.IsCompleted, "the backend answers after 2 s: the request must still be in flight");
        var stop = gateway.StopAsync(TimeSpan.FromSeconds(30));

        (int status, string body) = await request.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(200, status);
        Assert.Equal("slow", body);
        Assert.Equal(0, await stop);
        // Flushed before exit: the record is in the file although the process is gone.
        JsonObject record = Assert.Single(gateway.Records(), r => r.Event() == Records.Access && r.HasHeader("x-test-id", id));
        Assert.Equal(44, record.Long("wire.ip.ttl"));
    }
}

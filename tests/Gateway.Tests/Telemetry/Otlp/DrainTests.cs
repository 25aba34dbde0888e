using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Gateway.Telemetry;
using Gateway.Telemetry.Otlp;
using Gateway.Telemetry.Records;

namespace Gateway.Tests.Telemetry.Otlp;

/// <summary>
/// Stopping the record pipeline against a collector that accepts connections and never answers
/// ends within the drain time, counts every record it could not deliver, and throws nothing.
/// </summary>
public sealed class DrainTests
{
    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task StopAsync_CollectorNeverAnswers_EndsWithinTheDrainTimeAndCountsEveryRecord(string protocol)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepted = new List<Socket>();
        // Accepts every connection and reads nothing, answers nothing.
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var socket = await listener.AcceptSocketAsync();
                    lock (accepted)
                    {
                        accepted.Add(socket);
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        });

        using var loss = new TelemetryLoss();
        var endpoint = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        // The export timeout (10 s) and the batch's export timeout (30 s) are far longer than the drain.
        var settings = OtlpExportSettings.For(
            OtlpExportSettingsTests.Config([("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint), ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)]),
            TelemetrySignal.Traces)!;
        var encoder = new OtlpEncoder(new AttributeList { { "service.name", "drain-test" } }, "1");
        var pipeline = new RecordPipeline([new OtlpSink(TelemetrySignal.Traces, encoder, new OtlpTransport(settings),
            new BatchOptions(2048, 10, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(30)), loss)]);
        var pool = new RecordPool();
        for (var i = 0; i < 50; i++)
        {
            var record = pool.Rent();
            var span = record.AddSpan();
            span.Kind = SpanKindCode.Server;
            span.TraceId = TraceId.NewRandom();
            span.SpanId = SpanIds.NewRandom();
            span.Name = "GET /drain";
            span.StartUnixNano = UnixTime.NowNanos();
            span.EndUnixNano = span.StartUnixNano + 1000;
            pipeline.Submit(record);
        }

        // Let the first export reach the collector, so that one is in flight when the stop begins.
        await WaitUntil(() => { lock (accepted) { return accepted.Count > 0; } });

        var stopping = Stopwatch.StartNew();
        await pipeline.StopAsync(TimeSpan.FromSeconds(1));
        stopping.Stop();

        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(4), $"stopping took {stopping.Elapsed}");
        Assert.Equal(0, loss.Exported);
        var dropped = loss.Dropped();
        Assert.Equal(50, dropped.Values.Sum());
        Assert.Equal(50, dropped[(TelemetrySignal.Traces, "otlp", TelemetryLoss.ExportFailed)]);

        listener.Stop();
        await accepting;
        lock (accepted)
        {
            accepted.ForEach(s => s.Dispose());
        }
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "the collector was never reached");
            await Task.Delay(10);
        }
    }
}

// A discarding OTLP/HTTP (protobuf) receiver. Every POST to /v1/{traces,logs,metrics} is
// read to the end and answered 200 with an empty body, which is a valid, empty
// Export*ServiceResponse (no partial_success): the exporter counts the batch as
// delivered. It counts requests and bytes per signal and prints them when stopped, so a
// run can tell that the export really happened; GET /stats returns the same counts as JSON.
//
// --CountItems=true (bench/telemetry-bytes.sh) also keeps each body, gunzips it where it
// came gzip-encoded (uncompressed_bytes), and counts its items: spans by kind, log records
// by event name, metrics and data points. Off by default: the throughput rows only pay for
// reading the bytes.
using System.IO.Compression;
using OtlpSink;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Logging.AddConsole();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var countItems = builder.Configuration.GetValue<bool>("CountItems");

var app = builder.Build();
string[] signals = ["traces", "logs", "metrics"];
var counts = signals.ToDictionary(s => s, _ => new SignalCounts());

app.MapPost("/v1/{signal}", async (string signal, HttpContext context) =>
{
    if (!counts.TryGetValue(signal, out var signalCounts))
    {
        return Results.NotFound();
    }

    var gzip = context.Request.Headers.ContentEncoding.ToString().Trim().Equals("gzip", StringComparison.OrdinalIgnoreCase);
    var kept = countItems ? new MemoryStream() : null;
    long wireBytes = 0;
    var reader = context.Request.BodyReader;
    while (true)
    {
        var result = await reader.ReadAsync(context.RequestAborted);
        wireBytes += result.Buffer.Length;
        if (kept is not null)
        {
            foreach (var segment in result.Buffer)
            {
                kept.Write(segment.Span);
            }
        }

        reader.AdvanceTo(result.Buffer.End);
        if (result.IsCompleted)
        {
            break;
        }
    }

    signalCounts.Request(wireBytes, gzip);
    if (kept is not null)
    {
        try
        {
            var body = kept;
            if (gzip)
            {
                kept.Position = 0;
                body = new MemoryStream();
                await using (var inflate = new GZipStream(kept, CompressionMode.Decompress))
                {
                    await inflate.CopyToAsync(body, context.RequestAborted);
                }
            }

            signalCounts.Uncompressed(body.Length);
            ItemCounter.Count(signal, body.GetBuffer().AsSpan(0, (int)body.Length), signalCounts);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or OverflowException)
        {
            // Counted and said once, not refused: the sink stands in for a collector that accepts everything.
            if (signalCounts.Undecodable() == 1)
            {
                Console.Out.WriteLine($"OtlpSink: a {signal} export request ({wireBytes} bytes, gzip {gzip}) could not be counted: {e.Message}");
            }
        }
    }

    return Results.Bytes([], "application/x-protobuf");
});

app.MapGet("/stats", () => Results.Json(counts.ToDictionary(c => c.Key, c => c.Value.Snapshot())));

app.Lifetime.ApplicationStarted.Register(() => Console.Out.WriteLine($"OtlpSink ready: listening on {string.Join(", ", app.Urls)}"));
app.Lifetime.ApplicationStopped.Register(() =>
{
    var requests = counts.Values.Sum(c => c.Requests);
    var bytes = counts.Values.Sum(c => c.WireBytes);
    Console.Out.WriteLine($"OtlpSink: {requests} export requests, {bytes} bytes discarded ("
        + string.Join(", ", signals.Select(s => $"{s} {counts[s].Requests} requests {counts[s].WireBytes} bytes")) + ")");
});
app.Run();

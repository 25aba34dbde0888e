// A discarding OTLP/HTTP (protobuf) receiver. Every POST to /v1/{traces,logs,metrics} is
// read to the end and answered 200 with an empty body, which is a valid, empty
// Export*ServiceResponse (no partial_success): the exporter counts the batch as
// delivered. It counts requests and bytes and prints them when stopped, so a run can
// tell that the export really happened.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Logging.AddConsole();
builder.Logging.SetMinimumLevel(LogLevel.Warning);

var app = builder.Build();
long requests = 0;
long bytes = 0;

app.MapPost("/v1/{signal}", async (string signal, HttpContext context) =>
{
    if (signal is not ("traces" or "logs" or "metrics"))
    {
        return Results.NotFound();
    }

    var reader = context.Request.BodyReader;
    while (true)
    {
        var result = await reader.ReadAsync(context.RequestAborted);
        Interlocked.Add(ref bytes, result.Buffer.Length);
        reader.AdvanceTo(result.Buffer.End);
        if (result.IsCompleted)
        {
            break;
        }
    }

    Interlocked.Increment(ref requests);
    return Results.Bytes([], "application/x-protobuf");
});

app.Lifetime.ApplicationStarted.Register(() => Console.Out.WriteLine($"OtlpSink ready: listening on {string.Join(", ", app.Urls)}"));
app.Lifetime.ApplicationStopped.Register(() => Console.Out.WriteLine($"OtlpSink: {Interlocked.Read(ref requests)} export requests, {Interlocked.Read(ref bytes)} bytes discarded"));
app.Run();

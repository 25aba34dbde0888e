// A bare YARP reverse proxy: routes and clusters from the ReverseProxy section of the
// file given with --config (the same schema the gateway reads), logging at Warning so
// that nothing is written per request. Listening address: --urls.
var builder = WebApplication.CreateBuilder(args);
if (builder.Configuration["config"] is { } path)
{
    builder.Configuration.AddJsonFile(Path.GetFullPath(path), optional: false, reloadOnChange: false);
}

builder.Logging.ClearProviders();
builder.Logging.AddConsole();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddReverseProxy().LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));

var app = builder.Build();
app.MapReverseProxy();
app.Lifetime.ApplicationStarted.Register(() => Console.Out.WriteLine($"BareYarp ready: listening on {string.Join(", ", app.Urls)}"));
app.Run();

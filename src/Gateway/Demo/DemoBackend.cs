using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Demo;

/// <summary>
/// The backend started by <c>--demo</c>: a second, minimal Kestrel app in the same
/// process, so that <c>curl localhost:8080/api/hello</c> works with nothing else installed.
/// <c>GET /api/hello</c> greets; <c>/api/fail</c> drops the connection without an
/// answer (an upstream failure to look at: the gateway answers 502); every other path echoes the request's method, path, headers
/// and the connection the backend saw, as JSON.
/// </summary>
public sealed class DemoBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DemoBackend(WebApplication app) => _app = app;

    /// <summary>The addresses the backend listens on, once started.</summary>
    public IReadOnlyCollection<string> Addresses =>
        _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];

    /// <summary>Starts the backend on <paramref name="url"/>.</summary>
    public static async Task<DemoBackend> StartAsync(string url, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls(url);

        // Silent: the gateway's own output must stay the only "Now listening on" lines.
        builder.Logging.ClearProviders();

        var app = builder.Build();
        app.MapGet("/api/hello", (HttpContext context) => Results.Json(Echo(context, "hello from the demo backend")));
        app.Map("/api/fail", (HttpContext context) =>
        {
            context.Abort();
            return Results.Empty;
        });
        app.Map("/{**path}", (HttpContext context) => Results.Json(Echo(context, "echo from the demo backend")));

        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return new DemoBackend(app);
    }

    /// <summary>Stops the backend.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static Dictionary<string, object?> Echo(HttpContext context, string message) => new()
    {
        ["message"] = message,
        ["method"] = context.Request.Method,
        ["path"] = context.Request.Path.Value,
        ["query"] = context.Request.QueryString.Value,
        ["remote"] = $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}",
        ["headers"] = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToArray(), StringComparer.OrdinalIgnoreCase),
    };
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Health;

/// <summary>
/// <c>GET /livez</c> and <c>GET /readyz</c> on the management address (<c>Health:Urls</c>):
/// a Kestrel server of its own in the gateway's process, like the demo backend, so that
/// no proxy route can shadow a probe, no probe passes the proxy's middleware (no span, no
/// access record, no connection record) and the probes keep answering while the proxy
/// drains. 200 when every check passed, 503 otherwise; the body says what was checked.
/// </summary>
internal sealed partial class HealthServer : IAsyncDisposable
{
    /// <summary>The liveness path.</summary>
    public const string LivePath = "/livez";

    /// <summary>The readiness path.</summary>
    public const string ReadyPath = "/readyz";

    private readonly WebApplication _app;

    private HealthServer(WebApplication app) => _app = app;

    /// <summary>The addresses it listens on (port 0 resolved).</summary>
    public IReadOnlyCollection<string> Addresses =>
        _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];

    /// <summary>Starts the management listener on <paramref name="urls"/> (separated by <c>;</c>).</summary>
    public static async Task<HealthServer> StartAsync(string urls, HealthMonitor monitor, ILogger logger, bool logProbes, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls(urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        // Silent: the gateway's own output says where it listens.
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapMethods(LivePath, ["GET", "HEAD"], (HttpContext context) => Answer(context, monitor.Live(), logger, logProbes));
        app.MapMethods(ReadyPath, ["GET", "HEAD"], (HttpContext context) => Answer(context, monitor.Ready(), logger, logProbes));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var server = new HealthServer(app);
        Log.Listening(logger, string.Join(", ", server.Addresses), LivePath, ReadyPath);
        return server;
    }

    /// <summary>Stops the management listener.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task Answer(HttpContext context, HealthReport report, ILogger logger, bool logProbes)
    {
        var status = report.Passed ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        if (logProbes)
        {
            Log.Probe(logger, context.Request.Path.Value ?? "", status, report.Passed ? "pass" : "fail");
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(report.ToJson(), context.RequestAborted).ConfigureAwait(false);
        }
    }
}

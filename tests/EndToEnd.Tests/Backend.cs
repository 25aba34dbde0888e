using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace EndToEnd.Tests;

/// <summary>A real Kestrel backend on 127.0.0.1 that answers every path with a small JSON body (or <c>?size=N</c> bytes of text).</summary>
internal sealed class Backend : IAsyncDisposable
{
    private readonly WebApplication app;

    private Backend(WebApplication app, Uri url)
    {
        this.app = app;
        Url = url;
    }

    public Uri Url { get; }

    public static async Task<Backend> StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        WebApplication app = builder.Build();
        app.Map("/{**path}", (HttpContext ctx) =>
        {
            // ?size=N: a body of N bytes, for responses that span many segments.
            if (int.TryParse(ctx.Request.Query["size"], out int size))
                return Results.Text(new string('x', size), "text/plain");
            ctx.Response.Headers["X-Backend"] = "e2e";
            return Results.Json(new { path = ctx.Request.Path.Value, method = ctx.Request.Method, remotePort = ctx.Connection.RemotePort });
        });
        await app.StartAsync();
        var address = new Uri(app.Urls.First());
        return new Backend(app, address);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

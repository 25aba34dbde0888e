using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace EndToEnd.Tests;

/// <summary>
/// A real Kestrel backend on 127.0.0.1 that remembers every request it got (method, path, headers)
/// and answers with response headers that must be redacted: <c>Set-Cookie</c> and <c>X-Api-Key</c>
/// carrying <see cref="ResponseSecret"/>.
/// </summary>
internal sealed class RecordingBackend : IAsyncDisposable
{
    private readonly WebApplication app;

    private RecordingBackend(WebApplication app, Uri url, string responseSecret)
    {
        this.app = app;
        Url = url;
        ResponseSecret = responseSecret;
    }

    public Uri Url { get; }

    public string ResponseSecret { get; }

    public ConcurrentQueue<(string Method, string Path, Dictionary<string, string> Headers)> Requests { get; } = new();

    public static async Task<RecordingBackend> StartAsync(string responseSecret)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        WebApplication app = builder.Build();
        RecordingBackend? backend = null;
        app.Map("/{**path}", async (HttpContext ctx) =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            await reader.ReadToEndAsync();
            backend!.Requests.Enqueue((ctx.Request.Method, ctx.Request.Path.Value ?? "/",
                ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
            ctx.Response.Headers["Set-Cookie"] = $"session={responseSecret}; HttpOnly";
            ctx.Response.Headers["X-Api-Key"] = responseSecret;
            await ctx.Response.WriteAsync("ok");
        });
        await app.StartAsync();
        backend = new RecordingBackend(app, new Uri(app.Urls.First()), responseSecret);
        return backend;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Support;

/// <summary>A real Kestrel backend on 127.0.0.1 (port 0) that remembers what each request looked like from its side.</summary>
internal sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestBackend(WebApplication app) => _app = app;

    /// <summary>Every request seen, in order.</summary>
    public ConcurrentQueue<SeenRequest> Requests { get; } = new();

    /// <summary>Base address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public string Address => _app.Urls.First() + "/";

    /// <summary>The port the backend listens on.</summary>
    public int Port => new Uri(Address).Port;

    public static async Task<TestBackend> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var backend = new TestBackend(app);
        app.Map("/{**path}", async (HttpContext context) =>
        {
            backend.Requests.Enqueue(new SeenRequest(
                context.Request.Path.Value ?? "/",
                context.Connection.RemotePort,
                context.Request.Headers.TraceParent.ToString()));
            if (int.TryParse(context.Request.Query["delay"], out var delay))
            {
                await Task.Delay(delay);
            }

            if (int.TryParse(context.Request.Query["status"], out var status))
            {
                context.Response.StatusCode = status;
            }

            context.Response.Headers["x-backend"] = "test";
            context.Response.Headers["set-cookie"] = "session=very-secret";
            await context.Response.WriteAsync("hello from the test backend");
        });
        await app.StartAsync();
        return backend;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    /// <summary>One request as the backend saw it.</summary>
    public sealed record SeenRequest(string Path, int RemotePort, string TraceParent);
}

using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace EndToEnd.Tests;

/// <summary>
/// A real Kestrel backend on 127.0.0.1 that answers every path with a small JSON body (or <c>?size=N</c> bytes of text),
/// and a WebSocket under <c>/ws/</c> that echoes each message back.
/// </summary>
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
        app.UseWebSockets();
        app.Map("/ws/{**rest}", EchoAsync);
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

    private static async Task EchoAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
        byte[] buffer = new byte[16 * 1024];
        while (true)
        {
            WebSocketReceiveResult received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                return;
            }

            await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

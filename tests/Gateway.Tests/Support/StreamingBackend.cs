using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Support;

/// <summary>
/// A real Kestrel backend on 127.0.0.1 with the long-lived answers a gateway must pass through:
/// a WebSocket echo at <c>/ws</c> and server-sent events at <c>/events?count=N&amp;gap=MS</c>.
/// </summary>
internal sealed class StreamingBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StreamingBackend(WebApplication app) => _app = app;

    /// <summary>Base address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public string Address => _app.Urls.First() + "/";

    public static async Task<StreamingBackend> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.UseWebSockets();
        app.Map("/ws/{**rest}", async (HttpContext context) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = 400;
                return;
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[4096];
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    return;
                }

                await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, CancellationToken.None);
            }
        });
        app.Map("/events/{**rest}", async (HttpContext context) =>
        {
            int count = int.Parse(context.Request.Query["count"].ToString() is { Length: > 0 } c ? c : "3", System.Globalization.CultureInfo.InvariantCulture);
            int gap = int.Parse(context.Request.Query["gap"].ToString() is { Length: > 0 } g ? g : "50", System.Globalization.CultureInfo.InvariantCulture);
            context.Response.ContentType = "text/event-stream";
            for (int i = 0; i < count; i++)
            {
                await context.Response.WriteAsync($"id: {i}\ndata: event {i}\n\n");
                await context.Response.Body.FlushAsync();
                await Task.Delay(gap);
            }
        });
        await app.StartAsync();
        return new StreamingBackend(app);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

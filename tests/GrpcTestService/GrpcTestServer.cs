using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GrpcTestService;

/// <summary>
/// The Echo service on a real Kestrel listener at 127.0.0.1 (port chosen by the OS) speaking
/// HTTP/2 in clear text with prior knowledge (h2c), as gRPC backends behind a proxy often do.
/// </summary>
public sealed class GrpcTestServer : IAsyncDisposable
{
    /// <summary>Largest message either side accepts (the default is 4 MiB).</summary>
    public const int MaxMessageBytes = 16 * 1024 * 1024;

    private readonly WebApplication _app;

    private GrpcTestServer(WebApplication app, CallLog calls)
    {
        _app = app;
        Calls = calls;
    }

    /// <summary>The calls received so far.</summary>
    public CallLog Calls { get; }

    /// <summary>Base address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public string Address => _app.Urls.First() + "/";

    /// <summary>Starts the server.</summary>
    public static async Task<GrpcTestServer> StartAsync()
    {
        var calls = new CallLog();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddLogging();
        builder.Services.AddRouting();
        builder.Services.AddSingleton(calls);
        builder.Services.AddGrpc(options =>
        {
            options.MaxReceiveMessageSize = MaxMessageBytes;
            options.MaxSendMessageSize = MaxMessageBytes;
        });
        // The default console lifetime would take over SIGINT/SIGTERM of the whole test process.
        builder.Services.AddSingleton<IHostLifetime, PassiveLifetime>();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGrpcService<EchoService>();
        await app.StartAsync().ConfigureAwait(false);
        return new GrpcTestServer(app, calls);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class PassiveLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

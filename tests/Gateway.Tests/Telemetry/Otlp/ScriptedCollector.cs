using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Telemetry.Otlp;

/// <summary>
/// A collector whose answers a test scripts, for what the real receiver never says (partial success,
/// Retry-After, google.rpc.Status, trailers-only errors). Kestrel on 127.0.0.1: HTTP/1.1 on one port,
/// cleartext HTTP/2 (gRPC) on another. It remembers each request's headers and arrival time.
/// </summary>
internal sealed class ScriptedCollector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Func<HttpContext, Task>[] _answers;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _next;

    private ScriptedCollector(WebApplication app, Func<HttpContext, Task>[] answers)
    {
        _app = app;
        _answers = answers;
    }

    /// <summary>Base URL of the HTTP/1.1 listener.</summary>
    public Uri HttpEndpoint { get; private set; } = null!;

    /// <summary>Base URL of the h2c listener.</summary>
    public Uri GrpcEndpoint { get; private set; } = null!;

    /// <summary>Every request, in arrival order.</summary>
    public ConcurrentQueue<SeenRequest> Requests { get; } = new();

    /// <summary>Starts a collector that gives the answers in order, repeating the last one.</summary>
    public static Task<ScriptedCollector> StartAsync(params Func<HttpContext, Task>[] answers) => StartAsync(null, null, answers);

    /// <summary>
    /// Starts a collector whose two listeners speak TLS with <paramref name="certificate"/> (HTTP/2 through
    /// ALPN); with <paramref name="clientCa"/> it requires a client certificate that CA issued.
    /// </summary>
    public static async Task<ScriptedCollector> StartAsync(X509Certificate2? certificate, TestCertificates? clientCa, params Func<HttpContext, Task>[] answers)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            void Secure(ListenOptions listen)
            {
                if (certificate is null)
                {
                    return;
                }

                listen.UseHttps(https =>
                {
                    https.ServerCertificate = certificate;
                    if (clientCa is not null)
                    {
                        https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                        https.ClientCertificateValidation = (client, _, _) => clientCa.Issued(client);
                    }
                });
            }

            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                Secure(listen);
            });
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                Secure(listen);
            });
        });
        var app = builder.Build();
        var collector = new ScriptedCollector(app, answers);
        app.Run(collector.AnswerAsync);
        await app.StartAsync();

        var addresses = app.Urls.Select(url => new Uri(url)).ToArray();
        collector.HttpEndpoint = addresses[0];
        collector.GrpcEndpoint = addresses[1];
        return collector;
    }

    /// <summary>An OTLP/HTTP answer.</summary>
    public static Func<HttpContext, Task> Http(int status, byte[]? body = null, string contentType = "application/x-protobuf", string? retryAfter = null) =>
        async context =>
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = contentType;
            if (retryAfter is not null)
            {
                context.Response.Headers.RetryAfter = retryAfter;
            }

            if (body is not null)
            {
                await context.Response.Body.WriteAsync(body);
            }
        };

    /// <summary>
    /// A gRPC answer: a message and grpc-status in trailers, or (no message) a trailers-only answer, with
    /// <paramref name="details"/> (a serialized google.rpc.Status) as <c>grpc-status-details-bin</c>.
    /// </summary>
    public static Func<HttpContext, Task> Grpc(int status, string? message = null, byte[]? response = null, byte[]? details = null) =>
        async context =>
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/grpc";
            if (response is null)
            {
                context.Response.Headers["grpc-status"] = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (message is not null)
                {
                    context.Response.Headers["grpc-message"] = Uri.EscapeDataString(message);
                }

                if (details is not null)
                {
                    // Binary metadata: base64 without padding, as gRPC writes it.
                    context.Response.Headers["grpc-status-details-bin"] = Convert.ToBase64String(details).TrimEnd('=');
                }

                return;
            }

            var frame = new byte[5 + response.Length];
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)response.Length);
            response.CopyTo(frame, 5);
            await context.Response.Body.WriteAsync(frame);
            context.Response.AppendTrailer("grpc-status", status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        };

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task AnswerAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        Requests.Enqueue(new SeenRequest(
            context.Request.Path.Value ?? "",
            context.Request.Protocol,
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            body.ToArray(),
            _clock.Elapsed,
            context.Connection.ClientCertificate?.Subject));
        var index = Math.Min(Interlocked.Increment(ref _next) - 1, _answers.Length - 1);
        await _answers[index](context);
    }

    /// <summary>One request as the collector saw it; <paramref name="ClientCertificate"/> is the subject the client showed over TLS.</summary>
    public sealed record SeenRequest(string Path, string Protocol, IReadOnlyDictionary<string, string> Headers, byte[] Body, TimeSpan At, string? ClientCertificate = null);
}

using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace OtlpReceiver;

/// <summary>
/// An in-process OTLP receiver for tests: a real Kestrel server on 127.0.0.1 with one cleartext
/// HTTP/2 endpoint for OTLP/gRPC and one HTTP/1.1 endpoint for OTLP/HTTP protobuf, both on ports the
/// OS picks. Everything it decodes is kept in memory for the test to inspect or wait for.
/// </summary>
/// <remarks>
/// Export requests are counted once they parse, whatever <see cref="Mode"/> answers; spans, logs and
/// metric names are recorded only for requests that were accepted.
/// </remarks>
public sealed class OtlpTestReceiver : IAsyncDisposable
{
    private const int MaxItemsInTimeoutMessage = 20;

    private readonly WebApplication _app;
    private readonly ExportSink _sink;
    private int _disposed;

    private OtlpTestReceiver(WebApplication app, ExportSink sink, Uri grpcEndpoint, Uri httpEndpoint)
    {
        _app = app;
        _sink = sink;
        GrpcEndpoint = grpcEndpoint;
        HttpEndpoint = httpEndpoint;
    }

    /// <summary>Base address of the OTLP/gRPC endpoint (h2c, prior knowledge), e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri GrpcEndpoint { get; }

    /// <summary>Base address of the OTLP/HTTP endpoint; signals are posted to <c>/v1/traces</c>, <c>/v1/logs</c>, <c>/v1/metrics</c>.</summary>
    public Uri HttpEndpoint { get; }

    /// <summary>How export requests are answered from now on; <see cref="OtlpReceiverMode.Accept"/> by default.</summary>
    public OtlpReceiverMode Mode
    {
        get => _sink.Mode;
        set => _sink.Mode = value;
    }

    /// <summary>A snapshot of the spans received so far, in arrival order.</summary>
    public IReadOnlyList<ReceivedSpan> Spans => _sink.Spans;

    /// <summary>A snapshot of the log records received so far, in arrival order.</summary>
    public IReadOnlyList<ReceivedLog> Logs => _sink.Logs;

    /// <summary>A snapshot of the metric names received so far (one entry per metric per request).</summary>
    public IReadOnlyList<string> MetricNames => _sink.MetricNames;

    /// <summary>A snapshot of the resource attributes of every <c>ResourceMetrics</c> received so far, in arrival order.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, object?>> MetricResources => _sink.MetricResources;

    /// <summary>The latest exported value of each Sum or Gauge metric, summed over its attribute sets.</summary>
    public IReadOnlyDictionary<string, double> MetricTotals => _sink.MetricTotals;

    /// <summary>The latest exported value of each Sum or Gauge data point, keyed <c>name{key=value,...}</c> by its attributes.</summary>
    public IReadOnlyDictionary<string, double> MetricPoints => _sink.MetricPoints;

    /// <summary>Starts a receiver on 127.0.0.1 with OS-chosen ports.</summary>
    public static Task<OtlpTestReceiver> StartAsync(CancellationToken cancellationToken = default) => StartAsync(0, cancellationToken);

    /// <summary>
    /// Starts a receiver on 127.0.0.1 whose gRPC listener takes <paramref name="grpcPort"/> (0: OS-chosen),
    /// e.g. to bring back a collector on the port an exporter was already sending to.
    /// </summary>
    public static async Task<OtlpTestReceiver> StartAsync(int grpcPort, CancellationToken cancellationToken = default)
    {
        var sink = new ExportSink();

        // The empty builder reads no configuration files or environment variables, so an
        // ASPNETCORE_URLS or appsettings.json of the test host cannot move or widen the listeners.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();

        // Logging is registered with no provider: Kestrel and gRPC stay silent.
        builder.Services.AddLogging();
        builder.Services.AddRouting();
        builder.Services.AddGrpc(options => options.EnableDetailedErrors = true);
        builder.Services.AddSingleton(sink);

        // The default console lifetime would take over SIGINT/SIGTERM of the whole test process.
        builder.Services.AddSingleton<IHostLifetime, PassiveHostLifetime>();
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(5));

        ListenOptions? grpcListen = null;
        ListenOptions? httpListen = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, grpcPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                grpcListen = listen;
            });
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                httpListen = listen;
            });
        });

        var app = builder.Build();
        app.MapGrpcService<GrpcTraceService>();
        app.MapGrpcService<GrpcLogsService>();
        app.MapGrpcService<GrpcMetricsService>();
        HttpExportEndpoints.Map(app, sink);

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);

            // Kestrel writes the bound endpoint (with the OS-chosen port) back into the listen options.
            var grpc = BoundEndpoint(grpcListen, "gRPC");
            var http = BoundEndpoint(httpListen, "HTTP");
            return new OtlpTestReceiver(app, sink, grpc, http);
        }
        catch
        {
            sink.Stop();
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The full OTLP/HTTP URL of one signal, e.g. <c>http://127.0.0.1:41235/v1/traces</c>. The .NET exporter
    /// uses a programmatically set endpoint as-is for http/protobuf, so it needs this form.
    /// </summary>
    public Uri HttpSignalEndpoint(OtlpSignal signal) => new(HttpEndpoint, signal switch
    {
        OtlpSignal.Traces => "/v1/traces",
        OtlpSignal.Logs => "/v1/logs",
        OtlpSignal.Metrics => "/v1/metrics",
        _ => throw new ArgumentOutOfRangeException(nameof(signal), signal, "Unknown OTLP signal."),
    });

    /// <summary>The number of well-formed export requests for <paramref name="signal"/>, over one transport or both (null).</summary>
    /// <param name="signal">The signal to count.</param>
    /// <param name="transport"><see cref="OtlpTransport.Grpc"/>, <see cref="OtlpTransport.Http"/>, or null for both.</param>
    public int ExportRequestCount(OtlpSignal signal, string? transport = null) => _sink.RequestCount(signal, transport);

    /// <summary>Waits for the first span, received earlier or later, that matches <paramref name="predicate"/>.</summary>
    /// <exception cref="TimeoutException">No match within <paramref name="timeout"/>; the message lists what was received.</exception>
    public async Task<ReceivedSpan> WaitForSpanAsync(
        Func<ReceivedSpan, bool> predicate, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        (await WaitForSpansAsync(predicate, 1, timeout, cancellationToken).ConfigureAwait(false))[0];

    /// <summary>Waits until at least <paramref name="count"/> received spans match, and returns all that match.</summary>
    /// <exception cref="TimeoutException">Too few matches within <paramref name="timeout"/>; the message lists what was received.</exception>
    public Task<IReadOnlyList<ReceivedSpan>> WaitForSpansAsync(
        Func<ReceivedSpan, bool> predicate, int count, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return _sink.WaitAsync(
            () => Matches(_sink.Spans, predicate, count),
            timeout,
            waited => $"{Waited("span", count, waited)}. {_sink.DescribeSpans(MaxItemsInTimeoutMessage)}",
            cancellationToken);
    }

    /// <summary>Waits for the first log record, received earlier or later, that matches <paramref name="predicate"/>.</summary>
    /// <exception cref="TimeoutException">No match within <paramref name="timeout"/>; the message lists what was received.</exception>
    public async Task<ReceivedLog> WaitForLogAsync(
        Func<ReceivedLog, bool> predicate, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        (await WaitForLogsAsync(predicate, 1, timeout, cancellationToken).ConfigureAwait(false))[0];

    /// <summary>Waits until at least <paramref name="count"/> received log records match, and returns all that match.</summary>
    /// <exception cref="TimeoutException">Too few matches within <paramref name="timeout"/>; the message lists what was received.</exception>
    public Task<IReadOnlyList<ReceivedLog>> WaitForLogsAsync(
        Func<ReceivedLog, bool> predicate, int count, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return _sink.WaitAsync(
            () => Matches(_sink.Logs, predicate, count),
            timeout,
            waited => $"{Waited("log record", count, waited)}. {_sink.DescribeLogs(MaxItemsInTimeoutMessage)}",
            cancellationToken);
    }

    /// <summary>Waits until at least <paramref name="count"/> export requests for <paramref name="signal"/> arrived (any mode).</summary>
    /// <exception cref="TimeoutException">Fewer requests arrived within <paramref name="timeout"/>.</exception>
    public Task WaitForExportRequestsAsync(
        OtlpSignal signal, int count, TimeSpan timeout, string? transport = null, CancellationToken cancellationToken = default) =>
        _sink.WaitAsync(
            () => _sink.RequestCount(signal, transport) >= count ? this : null,
            timeout,
            waited => $"Timed out after {waited.TotalSeconds:0.###} s waiting for {count} {signal} export request(s)" +
                      $"{(transport is null ? "" : " over " + transport)} at {Where()}; " +
                      $"{_sink.RequestCount(signal, transport)} arrived (mode {Mode}).",
            cancellationToken);

    /// <summary>Forgets everything received and zeroes the counters; the mode is kept.</summary>
    public void Reset() => _sink.Reset();

    /// <summary>Stops the server; requests held by <see cref="OtlpReceiverMode.Hang"/> are released first.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _sink.Stop();
        try
        {
            await _app.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override string ToString() => Where();

    private static IReadOnlyList<T>? Matches<T>(IReadOnlyList<T> items, Func<T, bool> predicate, int count)
    {
        var matches = items.Where(predicate).ToArray();
        return matches.Length >= count ? matches : null;
    }

    private string Waited(string what, int count, TimeSpan waited) =>
        $"Timed out after {waited.TotalSeconds:0.###} s waiting for " +
        $"{(count == 1 ? "a " + what : count + " " + what + "s")} matching the condition at {Where()}" +
        (Mode == OtlpReceiverMode.Accept ? "" : $" (mode {Mode}: requests are counted but not recorded)");

    private string Where() => $"OTLP test receiver (grpc {GrpcEndpoint}, http {HttpEndpoint})";

    private static Uri BoundEndpoint(ListenOptions? listen, string name)
    {
        var endpoint = listen?.IPEndPoint;
        if (endpoint is null || endpoint.Port == 0)
        {
            throw new InvalidOperationException($"Kestrel did not report the bound port of the OTLP {name} endpoint.");
        }

        return new Uri($"http://{endpoint.Address}:{endpoint.Port}");
    }

    /// <summary>A host lifetime that ties nothing to process signals; the receiver stops only when disposed.</summary>
    private sealed class PassiveHostLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

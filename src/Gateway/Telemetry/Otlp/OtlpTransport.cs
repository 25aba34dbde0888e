using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace Gateway.Telemetry.Otlp;

/// <summary>
/// Sends serialized OTLP export requests of one signal to the collector and says how it went:
/// OTLP/HTTP (protobuf) or OTLP/gRPC over one pooled <see cref="HttpClient"/>, with retries of
/// transient failures inside a hard time budget.
/// </summary>
/// <remarks>
/// <para>One call of <see cref="SendAsync"/>:</para>
/// <code>
///   compress once (gzip) ─► attempt ─► 2xx / grpc-status 0 ───────────────► success (+ partial success)
///                              │
///                              ├─ permanent (400, 401, 404, INVALID_ARGUMENT…, RESOURCE_EXHAUSTED
///                              │             without RetryInfo) ─► failure, no retry
///                              │
///                              └─ transient (429, 502-504, UNAVAILABLE…, RESOURCE_EXHAUSTED with
///                                 RetryInfo, connection error)
///                                    wait: Retry-After or RetryInfo, else 100 ms doubling with jitter
///                                    ─► attempt again, unless the wait would end past the deadline
/// </code>
/// <para>
/// The deadline is <see cref="OtlpExportSettings.Timeout"/> from the start of the call and covers every
/// attempt and every wait, so a collector that hangs costs one timeout per call and no more. Collector
/// and network problems come back as an <see cref="OtlpSendResult"/>; only the caller's own
/// cancellation throws.
/// </para>
/// </remarks>
internal sealed class OtlpTransport : IDisposable
{
    /// <summary>How long a pooled connection is used before a new one is opened (DNS changes, load balancers rebalancing).</summary>
    public static readonly TimeSpan PooledConnectionLifetime = TimeSpan.FromMinutes(2);

    /// <summary>Response bytes kept for parsing; the rest of a larger body is read and dropped.</summary>
    public const int MaxResponseBytes = 16 * 1024;

    private const int GrpcPrefixLength = 5;
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);
    private static readonly string UserAgent = $"Gateway-OTLP-Exporter/{typeof(OtlpTransport).Assembly.GetName().Version?.ToString(3) ?? "0.0.0"}";

    private readonly HttpClient client;
    private readonly bool grpc;
    private readonly bool gzip;
    private readonly string items;

    /// <summary>Creates the transport and its connection pool; nothing is connected until the first send.</summary>
    public OtlpTransport(OtlpExportSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Settings = settings;
        grpc = settings.Protocol == OtlpExportProtocol.Grpc;
        gzip = settings.Compression == OtlpCompression.Gzip;
        items = settings.Signal switch
        {
            TelemetrySignal.Traces => "spans",
            TelemetrySignal.Logs => "log records",
            _ => "data points",
        };

        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = PooledConnectionLifetime,
            ConnectTimeout = settings.Timeout,
            UseCookies = false,

            // The environment's HTTP(S)_PROXY is for the workload's own traffic; telemetry goes where
            // OTEL_EXPORTER_OTLP_ENDPOINT says, and h2c with prior knowledge cannot pass a forward proxy.
            UseProxy = false,

            // A redirect would carry the configured headers (API keys) to another address.
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            EnableMultipleHttp2Connections = true,
        };

        // OTEL_EXPORTER_OTLP_CERTIFICATE, _CLIENT_CERTIFICATE, _CLIENT_KEY: the CA that verifies the
        // collector and the certificate the gateway shows it (mutual TLS).
        settings.Tls.Apply(handler.SslOptions);

        // The deadline of each call is a cancellation token; HttpClient's own timeout would only race it.
        client = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        var headers = client.DefaultRequestHeaders;
        headers.TryAddWithoutValidation("User-Agent", UserAgent);
        if (grpc)
        {
            headers.TryAddWithoutValidation("TE", "trailers");
            if (gzip)
            {
                headers.TryAddWithoutValidation("grpc-encoding", "gzip");
            }
        }

        // Validated by OtlpHeaderList: names are tokens and not the exporter's own, values printable ASCII.
        foreach (var (name, value) in settings.Headers)
        {
            headers.TryAddWithoutValidation(name, value);
        }
    }

    /// <summary>The settings the transport was created with.</summary>
    public OtlpExportSettings Settings { get; }

    /// <summary>
    /// Sends one serialized <c>ExportTraceServiceRequest</c> or <c>ExportLogsServiceRequest</c> (as
    /// <see cref="OtlpExportSettings.Signal"/> says), retrying transient failures until
    /// <see cref="OtlpExportSettings.Timeout"/> is spent.
    /// </summary>
    /// <param name="request">The protobuf bytes of the request message; read, never kept after the call.</param>
    /// <param name="cancellationToken">The caller's cancellation, e.g. shutdown.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<OtlpSendResult> SendAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Settings.Timeout);

        var compressed = gzip ? Compress(request.Span) : null;
        try
        {
            var body = compressed?.Written ?? request;
            var attempts = 0;
            var backoff = FirstBackoff;
            var last = default(Attempt);
            while (true)
            {
                try
                {
                    attempts++;
                    last = await AttemptAsync(body, deadline.Token).ConfigureAwait(false);
                    if (last.Success || !last.Transient)
                    {
                        return last.Result(attempts);
                    }

                    var wait = last.RetryAfter ?? Jittered(backoff);
                    if (wait >= Settings.Timeout - Stopwatch.GetElapsedTime(started))
                    {
                        // The next attempt could not start before the deadline: report the failure now.
                        return last.Result(attempts);
                    }

                    await Task.Delay(wait, deadline.Token).ConfigureAwait(false);
                    backoff = backoff * 2 < MaxBackoff ? backoff * 2 : MaxBackoff;
                }
                catch (OperationCanceledException)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    return TimedOut(attempts, last);
                }
            }
        }
        finally
        {
            compressed?.Dispose();
        }
    }

    /// <summary>Closes the pooled connections.</summary>
    public void Dispose() => client.Dispose();

    /// <summary>One request and its answer. Throws only <see cref="OperationCanceledException"/>, when the deadline or the caller cancels.</summary>
    private async Task<Attempt> AttemptAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var content = new OtlpRequestContent(body, grpc ? gzip : null);
        if (grpc)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", "application/grpc");
        }
        else
        {
            content.Headers.TryAddWithoutValidation("Content-Type", "application/x-protobuf");
            if (gzip)
            {
                content.Headers.TryAddWithoutValidation("Content-Encoding", "gzip");
            }
        }

        using var message = new HttpRequestMessage(HttpMethod.Post, Settings.Endpoint)
        {
            Content = content,

            // gRPC needs HTTP/2: prior knowledge on http://, ALPN on https://.
            Version = grpc ? HttpVersion.Version20 : HttpVersion.Version11,
            VersionPolicy = grpc ? HttpVersionPolicy.RequestVersionExact : HttpVersionPolicy.RequestVersionOrLower,
        };

        byte[]? buffer = null;
        try
        {
            using var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            // The kept bytes, then as much room again for reading what is dropped.
            buffer = ArrayPool<byte>.Shared.Rent(2 * MaxResponseBytes);
            var length = await ReadBodyAsync(response.Content, buffer, cancellationToken).ConfigureAwait(false);
            var answer = buffer.AsSpan(0, Math.Min(length, MaxResponseBytes));
            return grpc ? GrpcAnswer(response, answer) : HttpAnswer(response, answer);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // An I/O error caused by our own cancellation is the deadline, not the collector.
            cancellationToken.ThrowIfCancellationRequested();
            return Attempt.Failed(IsTransient(e), Describe(e));
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>
    /// Reads the whole body (gRPC trailers arrive only after it), keeping the first
    /// <see cref="MaxResponseBytes"/>; returns the total length.
    /// </summary>
    private static async Task<int> ReadBodyAsync(HttpContent content, byte[] buffer, CancellationToken cancellationToken)
    {
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var total = 0;
            while (true)
            {
                var kept = Math.Min(total, MaxResponseBytes);
                var room = kept < MaxResponseBytes ? buffer.AsMemory(kept, MaxResponseBytes - kept) : buffer.AsMemory(MaxResponseBytes, MaxResponseBytes);
                var read = await stream.ReadAsync(room, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return total;
                }

                total = total > int.MaxValue - read ? int.MaxValue : total + read;
            }
        }
    }

    private Attempt HttpAnswer(HttpResponseMessage response, ReadOnlySpan<byte> body)
    {
        var status = (int)response.StatusCode;
        if (status is >= 200 and < 300)
        {
            // A collector answering JSON or nothing at all: accepted, and nothing to read.
            return IsProtobuf(response.Content.Headers.ContentType, orMissing: true)
                   && OtlpResponseReader.TryReadPartialSuccess(body, out var rejected, out var partialMessage)
                ? Attempt.Succeeded(rejected, PartialSuccess(rejected, partialMessage))
                : Attempt.Succeeded(0, null);
        }

        var transient = IsTransientHttpStatus(status);
        var detail = IsProtobuf(response.Content.Headers.ContentType, orMissing: false)
            ? OtlpResponseReader.StatusMessage(body)
            : IsText(response.Content.Headers.ContentType) && !body.IsEmpty ? OtlpResponseReader.Text(body).Trim() : null;
        return Attempt.Failed(transient, HttpStatusText(response) + (string.IsNullOrEmpty(detail) ? "" : ": " + detail), transient ? RetryAfter(response) : null);
    }

    private Attempt GrpcAnswer(HttpResponseMessage response, ReadOnlySpan<byte> body)
    {
        var status = (int)response.StatusCode;
        if (status != 200)
        {
            // Not a gRPC answer (a proxy's or load balancer's): judged by its HTTP status, as gRPC maps them.
            var transient = IsTransientHttpStatus(status);
            return Attempt.Failed(transient, HttpStatusText(response) + " instead of a gRPC answer", transient ? RetryAfter(response) : null);
        }

        // A trailers-only answer (typical of errors) carries the status in the headers.
        var statusHeaders = response.TrailingHeaders.Contains("grpc-status") ? response.TrailingHeaders : response.Headers;
        if (!statusHeaders.TryGetValues("grpc-status", out var values) || !int.TryParse(values.FirstOrDefault(), out var code))
        {
            return Attempt.Failed(false, $"gRPC answer without a readable grpc-status, counted as {GrpcStatus.Name(GrpcStatus.Unknown)}");
        }

        if (code == GrpcStatus.Ok)
        {
            return TryReadGrpcMessage(body, out var message)
                   && OtlpResponseReader.TryReadPartialSuccess(message, out var rejected, out var partialMessage)
                ? Attempt.Succeeded(rejected, PartialSuccess(rejected, partialMessage))
                : Attempt.Succeeded(0, null);
        }

        var text = statusHeaders.TryGetValues("grpc-message", out var messages) ? messages.FirstOrDefault() : null;

        // grpc-message is percent-encoded UTF-8.
        text = string.IsNullOrEmpty(text) ? null : Uri.UnescapeDataString(text);
        if (text is { Length: > OtlpResponseReader.MaxMessageLength })
        {
            text = text[..OtlpResponseReader.MaxMessageLength] + "…";
        }

        // A google.rpc.RetryInfo among the status details: how long the collector asks to be left alone,
        // and for RESOURCE_EXHAUSTED the only sign that retrying can help (the OTLP specification).
        var retryDelay = RetryInfoDelay(statusHeaders);
        var retryable = GrpcStatus.IsRetryable(code, hasRetryInfo: retryDelay is not null);
        var error = $"gRPC {GrpcStatus.Name(code)} ({code})" + (text is null ? "" : ": " + text)
                    + (retryDelay is { } delay ? FormattableString.Invariant($" (RetryInfo: retry after {delay.TotalMilliseconds:0} ms)") : "");
        return Attempt.Failed(retryable, error, retryable ? retryDelay : null);
    }

    /// <summary>The <c>retry_delay</c> of a RetryInfo in <c>grpc-status-details-bin</c>; null when there is none or it cannot be read.</summary>
    private static TimeSpan? RetryInfoDelay(HttpHeaders headers)
    {
        if (!headers.TryGetValues("grpc-status-details-bin", out var values) || values.FirstOrDefault() is not { Length: > 0 } encoded
            || encoded.Length > 4 * MaxResponseBytes)
        {
            return null;
        }

        // Binary metadata is base64, usually without padding.
        var trimmed = encoded.Trim();
        var padded = trimmed.PadRight((trimmed.Length + 3) / 4 * 4, '=');
        var bytes = new byte[padded.Length / 4 * 3];
        return Convert.TryFromBase64String(padded, bytes, out var length)
               && OtlpResponseReader.TryReadRetryDelay(bytes.AsSpan(0, length), out var delay)
            ? delay
            : null;
    }

    /// <summary>The first length-prefixed message of a gRPC body, when it is complete and not compressed.</summary>
    private static bool TryReadGrpcMessage(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> message)
    {
        message = default;

        // No grpc-accept-encoding is sent, so a collector has no reason to compress its answer.
        if (body.Length < GrpcPrefixLength || body[0] != 0)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(body[1..GrpcPrefixLength]);
        if (length > (uint)(body.Length - GrpcPrefixLength))
        {
            return false;
        }

        message = body.Slice(GrpcPrefixLength, (int)length);
        return true;
    }

    private string? PartialSuccess(long rejected, string? message) =>
        rejected == 0 && message is null
            ? null
            : $"partial success: the collector rejected {rejected} {items}" + (message is null ? "" : ": " + message);

    private OtlpSendResult TimedOut(int attempts, Attempt last) => new(
        Success: false,
        Rejected: 0,
        Retryable: true,
        Attempts: attempts,
        Error: $"no answer within the export timeout of {Settings.Timeout.TotalMilliseconds:0} ms" +
               (last.Error is null ? "" : "; the attempt before: " + last.Error));

    private static PooledBufferStream Compress(ReadOnlySpan<byte> request)
    {
        var compressed = new PooledBufferStream(request.Length / 2 + 64);
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(request);
        }

        return compressed;
    }

    private static TimeSpan Jittered(TimeSpan backoff) => backoff * (0.5 + (Random.Shared.NextDouble() * 0.5));

    /// <summary>The statuses the OTLP specification calls retryable for OTLP/HTTP.</summary>
    private static bool IsTransientHttpStatus(int status) => status is 429 or 502 or 503 or 504;

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var retryAfter = response.Headers.RetryAfter;
        if (retryAfter?.Delta is { } delta)
        {
            return delta;
        }

        if (retryAfter?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    private static bool IsTransient(Exception e) => e switch
    {
        // Retrying cannot fix a certificate, a protocol the server does not speak, or our own limits.
        HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError or HttpRequestError.VersionNegotiationError
            or HttpRequestError.UserAuthenticationError or HttpRequestError.ConfigurationLimitExceeded } => false,
        HttpRequestException or IOException or SocketException => true,
        _ => false,
    };

    /// <summary>The exception's type and message and those of its causes (the socket error is usually the inner one).</summary>
    private static string Describe(Exception e)
    {
        var text = $"{e.GetType().Name}: {e.Message}";
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (!e.Message.Contains(inner.Message, StringComparison.Ordinal))
            {
                text += $" ({inner.GetType().Name}: {inner.Message})";
            }
        }

        return text.Length <= 512 ? text : text[..512] + "…";
    }

    private static string HttpStatusText(HttpResponseMessage response) =>
        string.IsNullOrEmpty(response.ReasonPhrase) ? $"HTTP {(int)response.StatusCode}" : $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";

    private static bool IsProtobuf(MediaTypeHeaderValue? contentType, bool orMissing) =>
        contentType?.MediaType is not { } mediaType ? orMissing : mediaType.Equals("application/x-protobuf", StringComparison.OrdinalIgnoreCase);

    private static bool IsText(MediaTypeHeaderValue? contentType) =>
        contentType?.MediaType is { } mediaType
        && (mediaType.StartsWith("text/", StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("json", StringComparison.OrdinalIgnoreCase));

    /// <summary>How one request went.</summary>
    private readonly record struct Attempt(bool Success, bool Transient, long Rejected, string? Error, TimeSpan? RetryAfter)
    {
        public static Attempt Succeeded(long rejected, string? partialSuccess) => new(true, false, rejected, partialSuccess, null);

        public static Attempt Failed(bool transient, string error, TimeSpan? retryAfter = null) => new(false, transient, 0, error, retryAfter);

        public OtlpSendResult Result(int attempts) => new(Success, Rejected, !Success && Transient, attempts, Error);
    }
}

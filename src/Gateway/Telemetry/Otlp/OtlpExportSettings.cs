using System.Globalization;
using Gateway.Telemetry.Records;
using Microsoft.Extensions.Configuration;

namespace Gateway.Telemetry.Otlp;

/// <summary>
/// One signal's OTLP exporter settings, read from the standard <c>OTEL_*</c> variables as the
/// OpenTelemetry specification defines them: a signal-specific variable wins over the generic one,
/// an empty value counts as not set, and durations are milliseconds.
/// </summary>
/// <remarks>
/// Header values are credentials. They are kept only in <see cref="Headers"/>: no exception message
/// and no <see cref="ToString"/> ever contains one.
/// </remarks>
internal sealed class OtlpExportSettings
{
    /// <summary>Default of <c>OTEL_EXPORTER_OTLP_TIMEOUT</c>, in milliseconds.</summary>
    public const int DefaultTimeoutMilliseconds = 10_000;

    private const string Prefix = "OTEL_EXPORTER_OTLP_";

    private OtlpExportSettings(
        TelemetrySignal signal,
        OtlpExportProtocol protocol,
        Uri endpoint,
        IReadOnlyList<KeyValuePair<string, string>> headers,
        TimeSpan timeout,
        OtlpCompression compression,
        BatchOptions batch)
    {
        Signal = signal;
        Protocol = protocol;
        Endpoint = endpoint;
        Headers = headers;
        Timeout = timeout;
        Compression = compression;
        Batch = batch;
    }

    /// <summary>The signal these settings export: <see cref="TelemetrySignal.Traces"/> or <see cref="TelemetrySignal.Logs"/>.</summary>
    public TelemetrySignal Signal { get; }

    /// <summary>The transport; <see cref="OtlpExportProtocol.Grpc"/> unless a protocol variable says otherwise.</summary>
    public OtlpExportProtocol Protocol { get; }

    /// <summary>The complete URL every export request is sent to (for gRPC, the service method's path).</summary>
    public Uri Endpoint { get; }

    /// <summary>Headers added to every export request, names as configured, values percent-decoded. Secret.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>The longest one export call may take, all retries included. Default 10 s.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Compression of request bodies; <see cref="OtlpCompression.None"/> by default.</summary>
    public OtlpCompression Compression { get; }

    /// <summary>The queue and batch limits of the processor that feeds the exporter.</summary>
    public BatchOptions Batch { get; }

    /// <summary>
    /// Reads the settings of <paramref name="signal"/>; null when neither <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
    /// nor the signal's own endpoint variable is set, or when the signal's exporter variable
    /// (<c>OTEL_TRACES_EXPORTER</c>, <c>OTEL_LOGS_EXPORTER</c>) says <c>none</c>: the signal is not exported over OTLP.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="signal"/> is neither traces nor logs.</exception>
    /// <exception cref="OtlpSettingsException">A variable holds a value that cannot be used; every problem is listed.</exception>
    public static OtlpExportSettings? For(IConfiguration configuration, TelemetrySignal signal)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var names = SignalNames.Of(signal);
        if (!Exports(configuration, "OTEL_" + names.Infix + "_EXPORTER"))
        {
            return null;
        }

        var genericEndpoint = Value(configuration, Prefix + "ENDPOINT");
        var specificEndpoint = Value(configuration, Prefix + names.Infix + "_ENDPOINT");
        if (genericEndpoint is null && specificEndpoint is null)
        {
            return null;
        }

        var problems = new List<string>();
        var reader = new VariableReader(configuration, names.Infix, problems);

        var protocol = reader.Protocol();
        var endpoint = specificEndpoint is not null
            ? ResolveEndpoint(Prefix + names.Infix + "_ENDPOINT", specificEndpoint, protocol, names, appendSignalPath: false, problems)
            : ResolveEndpoint(Prefix + "ENDPOINT", genericEndpoint!, protocol, names, appendSignalPath: true, problems);
        var headers = OtlpHeaderList.Merge(
            OtlpHeaderList.Parse(Prefix + "HEADERS", Value(configuration, Prefix + "HEADERS"), problems),
            OtlpHeaderList.Parse(Prefix + names.Infix + "_HEADERS", Value(configuration, Prefix + names.Infix + "_HEADERS"), problems));
        var timeout = reader.Milliseconds("TIMEOUT", DefaultTimeoutMilliseconds);
        var compression = reader.Compression();

        var batch = new BatchReader(configuration, names.BatchPrefix, problems);
        var queueSize = batch.Count("MAX_QUEUE_SIZE", 2048);
        var batchSettings = new BatchOptions(
            queueSize,
            Math.Min(batch.Count("MAX_EXPORT_BATCH_SIZE", 512), queueSize),
            TimeSpan.FromMilliseconds(batch.Milliseconds("SCHEDULE_DELAY", names.DefaultScheduleDelay, allowZero: true)),
            TimeSpan.FromMilliseconds(batch.Milliseconds("EXPORT_TIMEOUT", 30_000, allowZero: false)));

        if (problems.Count > 0)
        {
            throw new OtlpSettingsException(problems);
        }

        return new OtlpExportSettings(
            signal, protocol, endpoint!, headers, TimeSpan.FromMilliseconds(timeout), compression, batchSettings);
    }

    /// <summary>
    /// Reads a signal's exporter choice, <c>OTEL_TRACES_EXPORTER</c>, <c>OTEL_LOGS_EXPORTER</c> or
    /// <c>OTEL_METRICS_EXPORTER</c> (<paramref name="variable"/>): false for <c>none</c> alone (the
    /// signal is not exported over OTLP even with an endpoint set), true for <c>otlp</c>, the default.
    /// </summary>
    /// <exception cref="OtlpSettingsException">Another exporter is named: the gateway has only OTLP.</exception>
    public static bool Exports(IConfiguration configuration, string variable)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (Value(configuration, variable) is not { } value)
        {
            return true;
        }

        // A comma-separated list, as the specification allows: "none" counts only on its own.
        var otlp = false;
        var none = false;
        foreach (var item in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (item.Equals("otlp", StringComparison.OrdinalIgnoreCase))
            {
                otlp = true;
            }
            else if (item.Equals("none", StringComparison.OrdinalIgnoreCase))
            {
                none = true;
            }
            else
            {
                throw new OtlpSettingsException([$"{variable} names '{item}', an exporter the gateway does not have; use 'otlp' (the default) or 'none'."]);
            }
        }

        return otlp || !none;
    }

    /// <summary>Describes the settings for diagnostics: header names only, never their values.</summary>
    public override string ToString()
    {
        var headerNames = Headers.Count == 0 ? "none" : string.Join(", ", Headers.Select(header => header.Key));
        return $"OTLP {Signal} exporter: {ProtocolName(Protocol)} to {Endpoint}, timeout {Timeout.TotalMilliseconds:0} ms, " +
               $"compression {(Compression == OtlpCompression.Gzip ? "gzip" : "none")}, headers: {headerNames}";
    }

    /// <summary>The protocol's name as the variables spell it.</summary>
    public static string ProtocolName(OtlpExportProtocol protocol) => protocol == OtlpExportProtocol.Grpc ? "grpc" : "http/protobuf";

    /// <summary>The value of <paramref name="name"/>, trimmed; null when unset or blank (the specification treats empty as unset).</summary>
    private static string? Value(IConfiguration configuration, string name)
    {
        var value = configuration[name];
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    private static Uri? ResolveEndpoint(
        string variable, string value, OtlpExportProtocol protocol, SignalNames names, bool appendSignalPath, List<string> problems)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.Host.Length == 0)
        {
            problems.Add($"{variable} is '{value}', which is not an absolute http:// or https:// URL (e.g. http://localhost:4317).");
            return null;
        }

        if (uri.UserInfo.Length != 0)
        {
            // The URL carries credentials: do not repeat it. The client would not send them anyway.
            problems.Add($"{variable} holds a URL with user information; put credentials into {Prefix}HEADERS instead.");
            return null;
        }

        var authority = uri.GetLeftPart(UriPartial.Authority);
        if (protocol == OtlpExportProtocol.Grpc)
        {
            // gRPC addresses a service method: the path is the method's, whatever the variable says.
            return new Uri(authority + names.GrpcPath);
        }

        // The per-signal variable is the whole URL; the generic one is a base to which the signal's
        // path is appended, after the base path ("http://c/otlp" and "http://c/otlp/" both give /otlp/v1/...).
        return appendSignalPath ? new Uri(authority + uri.AbsolutePath.TrimEnd('/') + names.HttpPath) : uri;
    }

    /// <summary>Reads one OTLP setting: the signal-specific variable when set, else the generic one.</summary>
    private readonly struct VariableReader(IConfiguration configuration, string infix, List<string> problems)
    {
        public OtlpExportProtocol Protocol()
        {
            var (variable, value) = Lookup("PROTOCOL");
            if (value is null || value.Equals("grpc", StringComparison.OrdinalIgnoreCase))
            {
                return OtlpExportProtocol.Grpc;
            }

            if (value.Equals("http/protobuf", StringComparison.OrdinalIgnoreCase))
            {
                return OtlpExportProtocol.HttpProtobuf;
            }

            problems.Add(value.Equals("http/json", StringComparison.OrdinalIgnoreCase)
                ? $"{variable} is 'http/json', which the gateway does not support; use 'grpc' or 'http/protobuf'."
                : $"{variable} is '{value}', which is not an OTLP protocol; use 'grpc' or 'http/protobuf'.");
            return OtlpExportProtocol.Grpc;
        }

        public OtlpCompression Compression()
        {
            var (variable, value) = Lookup("COMPRESSION");
            if (value is null || value.Equals("none", StringComparison.OrdinalIgnoreCase))
            {
                return OtlpCompression.None;
            }

            if (value.Equals("gzip", StringComparison.OrdinalIgnoreCase))
            {
                return OtlpCompression.Gzip;
            }

            problems.Add($"{variable} is '{value}', which is not a supported compression; use 'gzip' or 'none'.");
            return OtlpCompression.None;
        }

        public int Milliseconds(string suffix, int defaultValue)
        {
            var (variable, value) = Lookup(suffix);
            return ParsePositive(variable, value, defaultValue, allowZero: false, "a duration in milliseconds", problems);
        }

        private (string Variable, string? Value) Lookup(string suffix)
        {
            var specific = Prefix + infix + "_" + suffix;
            if (Value(configuration, specific) is { } value)
            {
                return (specific, value);
            }

            var generic = Prefix + suffix;
            return (generic, Value(configuration, generic));
        }
    }

    /// <summary>Reads the batch processor's variables (<c>OTEL_BSP_*</c> or <c>OTEL_BLRP_*</c>).</summary>
    private readonly struct BatchReader(IConfiguration configuration, string prefix, List<string> problems)
    {
        public int Milliseconds(string suffix, int defaultValue, bool allowZero) =>
            ParsePositive(prefix + suffix, Value(configuration, prefix + suffix), defaultValue, allowZero, "a duration in milliseconds", problems);

        public int Count(string suffix, int defaultValue) =>
            ParsePositive(prefix + suffix, Value(configuration, prefix + suffix), defaultValue, allowZero: false, "a number of items", problems);
    }

    private static int ParsePositive(string variable, string? value, int defaultValue, bool allowZero, string meaning, List<string> problems)
    {
        if (value is null)
        {
            return defaultValue;
        }

        // NumberStyles.None: digits only, so "-1", "1e3" and "5s" are refused rather than guessed at.
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            problems.Add($"{variable} is '{value}', which is not {meaning} (a whole number from {(allowZero ? 0 : 1)} to {int.MaxValue}).");
            return defaultValue;
        }

        if (number == 0 && !allowZero)
        {
            problems.Add($"{variable} is 0; it must be at least 1 ({meaning}).");
            return defaultValue;
        }

        return number;
    }

    /// <summary>The names that differ between the signals.</summary>
    private sealed record SignalNames(string Infix, string BatchPrefix, int DefaultScheduleDelay, string HttpPath, string GrpcPath)
    {
        private static readonly SignalNames Traces = new(
            "TRACES", "OTEL_BSP_", 5_000, "/v1/traces", "/opentelemetry.proto.collector.trace.v1.TraceService/Export");

        private static readonly SignalNames Logs = new(
            "LOGS", "OTEL_BLRP_", 1_000, "/v1/logs", "/opentelemetry.proto.collector.logs.v1.LogsService/Export");

        public static SignalNames Of(TelemetrySignal signal) => signal switch
        {
            TelemetrySignal.Traces => Traces,
            TelemetrySignal.Logs => Logs,
            _ => throw new ArgumentOutOfRangeException(nameof(signal), signal, "Only traces and logs have an OTLP exporter of the gateway's own."),
        };
    }
}

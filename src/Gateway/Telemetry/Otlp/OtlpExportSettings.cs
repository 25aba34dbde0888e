using System.Globalization;
using Gateway.Telemetry.Records;
using Microsoft.Extensions.Configuration;
using OpenTelemetry.Metrics;

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
        BatchOptions batch,
        OtlpTlsSettings tls,
        MetricReaderTemporalityPreference temporality)
    {
        Signal = signal;
        Protocol = protocol;
        Endpoint = endpoint;
        Headers = headers;
        Timeout = timeout;
        Compression = compression;
        Batch = batch;
        Tls = tls;
        Temporality = temporality;
    }

    /// <summary>The signal these settings export.</summary>
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

    /// <summary>
    /// The queue and batch limits of the processor that feeds the exporter. For metrics only
    /// <see cref="BatchOptions.ScheduledDelay"/> (<c>OTEL_METRIC_EXPORT_INTERVAL</c>) and
    /// <see cref="BatchOptions.ExportTimeout"/> (<c>OTEL_METRIC_EXPORT_TIMEOUT</c>) apply: the reader collects them.
    /// </summary>
    public BatchOptions Batch { get; }

    /// <summary>The CA to trust and the client certificate to present over TLS (<c>https</c> endpoints).</summary>
    public OtlpTlsSettings Tls { get; }

    /// <summary>Metrics only: <c>OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE</c>, cumulative by default.</summary>
    public MetricReaderTemporalityPreference Temporality { get; }

    /// <summary>
    /// Reads the settings of <paramref name="signal"/>; null when neither <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
    /// nor the signal's own endpoint variable is set, or when the signal's exporter variable
    /// (<c>OTEL_TRACES_EXPORTER</c>, <c>OTEL_LOGS_EXPORTER</c>, <c>OTEL_METRICS_EXPORTER</c>) says <c>none</c>:
    /// the signal is not exported over OTLP.
    /// </summary>
    /// <remarks>Also null for every signal when <c>OTEL_SDK_DISABLED</c> is <c>true</c>.</remarks>
    /// <exception cref="OtlpSettingsException">A variable holds a value that cannot be used; every problem is listed.</exception>
    public static OtlpExportSettings? For(IConfiguration configuration, TelemetrySignal signal)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var names = SignalNames.Of(signal);
        var problems = new List<string>();
        if (ParseBoolean(SdkDisabledVariable, Value(configuration, SdkDisabledVariable), problems)
            || !Exports(configuration, "OTEL_" + names.Infix + "_EXPORTER"))
        {
            return null;
        }

        var genericEndpoint = Value(configuration, Prefix + "ENDPOINT");
        var specificEndpoint = Value(configuration, Prefix + names.Infix + "_ENDPOINT");
        if (genericEndpoint is null && specificEndpoint is null)
        {
            return null;
        }

        var reader = new VariableReader(configuration, names.Infix, problems);

        var protocol = reader.Protocol();
        var insecure = reader.Boolean("INSECURE");
        var endpoint = specificEndpoint is not null
            ? ResolveEndpoint(Prefix + names.Infix + "_ENDPOINT", specificEndpoint, protocol, names, appendSignalPath: false, insecure, problems)
            : ResolveEndpoint(Prefix + "ENDPOINT", genericEndpoint!, protocol, names, appendSignalPath: true, insecure, problems);
        var tls = OtlpTlsSettings.Read(reader.Lookup, endpoint, problems);
        var headers = OtlpHeaderList.Merge(
            OtlpHeaderList.Parse(Prefix + "HEADERS", Value(configuration, Prefix + "HEADERS"), problems),
            OtlpHeaderList.Parse(Prefix + names.Infix + "_HEADERS", Value(configuration, Prefix + names.Infix + "_HEADERS"), problems));
        var timeout = reader.Milliseconds("TIMEOUT", DefaultTimeoutMilliseconds);
        var compression = reader.Compression();

        var batch = new BatchReader(configuration, names.BatchPrefix, problems);
        BatchOptions batchSettings;
        var temporality = MetricReaderTemporalityPreference.Cumulative;
        if (signal == TelemetrySignal.Metrics)
        {
            // The periodic reader: one collection per interval, each export bounded (the specification's defaults).
            batchSettings = new BatchOptions(
                int.MaxValue,
                int.MaxValue,
                TimeSpan.FromMilliseconds(batch.Milliseconds("EXPORT_INTERVAL", 60_000, allowZero: false)),
                TimeSpan.FromMilliseconds(batch.Milliseconds("EXPORT_TIMEOUT", 30_000, allowZero: false)));
            temporality = reader.Temporality();
        }
        else
        {
            var queueSize = batch.Count("MAX_QUEUE_SIZE", 2048);
            batchSettings = new BatchOptions(
                queueSize,
                Math.Min(batch.Count("MAX_EXPORT_BATCH_SIZE", 512), queueSize),
                TimeSpan.FromMilliseconds(batch.Milliseconds("SCHEDULE_DELAY", names.DefaultScheduleDelay, allowZero: true)),
                TimeSpan.FromMilliseconds(batch.Milliseconds("EXPORT_TIMEOUT", 30_000, allowZero: false)));
        }

        if (problems.Count > 0)
        {
            throw new OtlpSettingsException(problems);
        }

        return new OtlpExportSettings(
            signal, protocol, endpoint!, headers, TimeSpan.FromMilliseconds(timeout), compression, batchSettings, tls, temporality);
    }

    /// <summary>
    /// <c>OTEL_SDK_DISABLED</c>: true turns OTLP export off for every signal, as if no endpoint were set
    /// (the embedded sinks then follow their own settings).
    /// </summary>
    /// <exception cref="OtlpSettingsException">The value is neither <c>true</c> nor <c>false</c>.</exception>
    public static bool SdkDisabled(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var problems = new List<string>();
        var disabled = ParseBoolean(SdkDisabledVariable, Value(configuration, SdkDisabledVariable), problems);
        return problems.Count > 0 ? throw new OtlpSettingsException(problems) : disabled;
    }

    /// <summary>The variable that turns every signal's OTLP export off.</summary>
    public const string SdkDisabledVariable = "OTEL_SDK_DISABLED";

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

    /// <summary>
    /// Describes the effective settings for the start-up line and diagnostics: endpoint, protocol, timeout,
    /// compression, TLS files, batching; header names only, each value shown as <c>[hidden]</c>.
    /// </summary>
    public override string ToString()
    {
        var headers = Headers.Count == 0 ? "none" : string.Join(", ", Headers.Select(header => header.Key + "=[hidden]"));
        var batching = Signal == TelemetrySignal.Metrics
            ? FormattableString.Invariant($"every {Batch.ScheduledDelay.TotalMilliseconds:0} ms (export timeout {Batch.ExportTimeout.TotalMilliseconds:0} ms), temporality {Temporality.ToString().ToLowerInvariant()}")
            : FormattableString.Invariant($"queue {Batch.MaxQueueSize}, batch {Batch.MaxBatchSize}, delay {Batch.ScheduledDelay.TotalMilliseconds:0} ms, export timeout {Batch.ExportTimeout.TotalMilliseconds:0} ms");
        return FormattableString.Invariant(
            $"OTLP {TelemetryLoss.Name(Signal)}: {ProtocolName(Protocol)} to {Endpoint}, timeout {Timeout.TotalMilliseconds:0} ms, ") +
               $"compression {(Compression == OtlpCompression.Gzip ? "gzip" : "none")}, TLS {Tls}, headers: {headers}; {batching}";
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
        string variable, string value, OtlpExportProtocol protocol, SignalNames names, bool appendSignalPath, bool insecure, List<string> problems)
    {
        if (protocol == OtlpExportProtocol.Grpc && !value.Contains("://", StringComparison.Ordinal))
        {
            // A gRPC target without a scheme (collector:4317): TLS unless the INSECURE variable says otherwise,
            // as the specification has it; a scheme, when given, decides by itself.
            value = (insecure ? "http://" : "https://") + value;
        }

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

        public bool Boolean(string suffix)
        {
            var (variable, value) = Lookup(suffix);
            return ParseBoolean(variable, value, problems);
        }

        public MetricReaderTemporalityPreference Temporality()
        {
            var (variable, value) = Lookup("TEMPORALITY_PREFERENCE");
            switch (value?.ToLowerInvariant())
            {
                case null or "cumulative":
                    return MetricReaderTemporalityPreference.Cumulative;
                case "delta":
                    return MetricReaderTemporalityPreference.Delta;
                case "lowmemory":
                    return MetricReaderTemporalityPreference.LowMemory;
                default:
                    problems.Add($"{variable} is '{value}', which is not a temporality; use 'cumulative' (the default), 'delta' or 'lowmemory'.");
                    return MetricReaderTemporalityPreference.Cumulative;
            }
        }

        /// <summary>The signal-specific variable named by <paramref name="suffix"/> when set, else the generic one, with its value (null: neither).</summary>
        public (string Variable, string? Value) Lookup(string suffix)
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

    // The specification reads any value but "true" as false; the gateway refuses what is neither, since
    // OTEL_SDK_DISABLED=1 or INSECURE=yes silently meaning "no" is the surprise a start error prevents.
    private static bool ParseBoolean(string variable, string? value, List<string> problems)
    {
        if (value is null || value.Equals("false", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (value.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        problems.Add($"{variable} is '{value}', which is not a boolean; use 'true' or 'false'.");
        return false;
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

        // The metric reader's variables are OTEL_METRIC_EXPORT_INTERVAL and OTEL_METRIC_EXPORT_TIMEOUT.
        private static readonly SignalNames Metrics = new(
            "METRICS", "OTEL_METRIC_", 60_000, "/v1/metrics", "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export");

        public static SignalNames Of(TelemetrySignal signal) => signal switch
        {
            TelemetrySignal.Traces => Traces,
            TelemetrySignal.Logs => Logs,
            TelemetrySignal.Metrics => Metrics,
            _ => throw new ArgumentOutOfRangeException(nameof(signal), signal, "Not an OpenTelemetry signal."),
        };
    }
}

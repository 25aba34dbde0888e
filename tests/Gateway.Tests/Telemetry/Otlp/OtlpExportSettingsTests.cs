using Gateway.Telemetry;
using Gateway.Telemetry.Otlp;
using Gateway.Telemetry.Records;
using Microsoft.Extensions.Configuration;

namespace Gateway.Tests.Telemetry.Otlp;

/// <summary>The OTEL_* rules of the specification, as <see cref="OtlpExportSettings.For"/> applies them.</summary>
public sealed class OtlpExportSettingsTests
{
    private const string Secret = "s3cr3t-k3y-do-not-print";

    [Fact]
    public void For_NoEndpointVariable_ReturnsNull()
    {
        Assert.Null(OtlpExportSettings.For(Config(("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")), TelemetrySignal.Traces));
    }

    [Fact]
    public void For_OnlyTheOtherSignalsEndpoint_ReturnsNull()
    {
        var configuration = Config(("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:4317"));

        Assert.NotNull(OtlpExportSettings.For(configuration, TelemetrySignal.Traces));
        Assert.Null(OtlpExportSettings.For(configuration, TelemetrySignal.Logs));
    }

    [Fact]
    public void For_EmptyEndpoint_CountsAsUnset()
    {
        Assert.Null(OtlpExportSettings.For(Config(("OTEL_EXPORTER_OTLP_ENDPOINT", "  ")), TelemetrySignal.Logs));
    }

    [Fact]
    public void For_OnlyEndpoint_HasTheDefaults()
    {
        var traces = OtlpExportSettings.For(Config(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")), TelemetrySignal.Traces)!;
        var logs = OtlpExportSettings.For(Config(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")), TelemetrySignal.Logs)!;

        Assert.Equal(OtlpExportProtocol.Grpc, traces.Protocol);
        Assert.Equal(TimeSpan.FromSeconds(10), traces.Timeout);
        Assert.Equal(OtlpCompression.None, traces.Compression);
        Assert.Empty(traces.Headers);
        Assert.Equal(new BatchOptions(2048, 512, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30)), traces.Batch);
        Assert.Equal(new BatchOptions(2048, 512, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)), logs.Batch);
    }

    [Theory]
    [InlineData("http://collector:4318", false, "http://collector:4318/v1/traces")]
    [InlineData("http://collector:4318/", false, "http://collector:4318/v1/traces")]
    [InlineData("https://collector/otlp", true, "https://collector/otlp/v1/logs")]
    [InlineData("https://collector/otlp/", true, "https://collector/otlp/v1/logs")]
    [InlineData("http://[::1]:4318/a/b", false, "http://[::1]:4318/a/b/v1/traces")]
    public void For_HttpGenericEndpoint_AppendsTheSignalPath(string endpoint, bool logs, string expected)
    {
        var settings = OtlpExportSettings.For(
            Config(("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint), ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")),
            logs ? TelemetrySignal.Logs : TelemetrySignal.Traces)!;

        Assert.Equal(new Uri(expected), settings.Endpoint);
    }

    [Fact]
    public void For_HttpSignalEndpoint_IsUsedAsIsAndWinsOverTheGenericOne()
    {
        var configuration = Config(
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://generic:4318"),
            ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://logs:9000/custom/ingest"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"));

        Assert.Equal(new Uri("http://logs:9000/custom/ingest"), OtlpExportSettings.For(configuration, TelemetrySignal.Logs)!.Endpoint);
        Assert.Equal(new Uri("http://generic:4318/v1/traces"), OtlpExportSettings.For(configuration, TelemetrySignal.Traces)!.Endpoint);
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317", "http://collector:4317/opentelemetry.proto.collector.trace.v1.TraceService/Export")]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector/some/path/", "https://collector/opentelemetry.proto.collector.trace.v1.TraceService/Export")]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:4317/v1/traces", "http://traces:4317/opentelemetry.proto.collector.trace.v1.TraceService/Export")]
    public void For_GrpcEndpoint_UsesTheServiceMethodPathOnTheAuthority(string variable, string endpoint, string expected)
    {
        Assert.Equal(new Uri(expected), OtlpExportSettings.For(Config((variable, endpoint)), TelemetrySignal.Traces)!.Endpoint);
    }

    [Fact]
    public void For_GrpcLogs_UsesTheLogsServicePath()
    {
        var settings = OtlpExportSettings.For(Config(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")), TelemetrySignal.Logs)!;

        Assert.Equal("/opentelemetry.proto.collector.logs.v1.LogsService/Export", settings.Endpoint.AbsolutePath);
    }

    [Fact]
    public void For_SignalSpecificSettings_WinOverGenericOnes()
    {
        var configuration = Config(
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
            ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "750"),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "none"),
            ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip"));

        var traces = OtlpExportSettings.For(configuration, TelemetrySignal.Traces)!;
        var logs = OtlpExportSettings.For(configuration, TelemetrySignal.Logs)!;

        Assert.Equal((OtlpExportProtocol.HttpProtobuf, 750d, OtlpCompression.Gzip), (traces.Protocol, traces.Timeout.TotalMilliseconds, traces.Compression));
        Assert.Equal((OtlpExportProtocol.Grpc, 2500d, OtlpCompression.None), (logs.Protocol, logs.Timeout.TotalMilliseconds, logs.Compression));
    }

    [Fact]
    public void For_Headers_AreTrimmedPercentDecodedAndOverriddenPerKeyBySignalHeaders()
    {
        var configuration = Config(
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
            ("OTEL_EXPORTER_OTLP_HEADERS", " api-key = abc%20def%3D%3D , x-tenant=blue,Authorization=Basic%20dXNlcjpwYXNz,"),
            ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "X-Tenant=green , x-only-traces=1"));

        var traces = OtlpExportSettings.For(configuration, TelemetrySignal.Traces)!;
        var logs = OtlpExportSettings.For(configuration, TelemetrySignal.Logs)!;

        Assert.Equal(
            [new("api-key", "abc def=="), new("X-Tenant", "green"), new("Authorization", "Basic dXNlcjpwYXNz"), new("x-only-traces", "1")],
            traces.Headers);
        Assert.Equal(
            [new("api-key", "abc def=="), new("x-tenant", "blue"), new("Authorization", "Basic dXNlcjpwYXNz")],
            logs.Headers);
    }

    [Fact]
    public void For_BatchVariables_AreTheSignalsOwnAndTheBatchIsClampedToTheQueue()
    {
        var configuration = Config(
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
            ("OTEL_BSP_SCHEDULE_DELAY", "200"),
            ("OTEL_BSP_EXPORT_TIMEOUT", "4000"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "100"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "500"),
            ("OTEL_BLRP_SCHEDULE_DELAY", "0"),
            ("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "64"));

        Assert.Equal(
            new BatchOptions(100, 100, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(4)),
            OtlpExportSettings.For(configuration, TelemetrySignal.Traces)!.Batch);
        Assert.Equal(
            new BatchOptions(2048, 64, TimeSpan.Zero, TimeSpan.FromSeconds(30)),
            OtlpExportSettings.For(configuration, TelemetrySignal.Logs)!.Batch);
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", "not support")]
    [InlineData("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "thrift", "not an OTLP protocol")]
    [InlineData("OTEL_EXPORTER_OTLP_TIMEOUT", "10s", "not a duration")]
    [InlineData("OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", "-5", "not a duration")]
    [InlineData("OTEL_EXPORTER_OTLP_TIMEOUT", "0", "at least 1")]
    [InlineData("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd", "not a supported compression")]
    [InlineData("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "://collector:4317", "not an absolute http")]
    [InlineData("OTEL_EXPORTER_OTLP_LOGS_INSECURE", "yes", "not a boolean")]
    [InlineData("OTEL_SDK_DISABLED", "1", "not a boolean")]
    [InlineData("OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent/ca.pem", "is not https")]
    [InlineData("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "ftp://collector/", "not an absolute http")]
    [InlineData("OTEL_BLRP_MAX_QUEUE_SIZE", "many", "not a number of items")]
    [InlineData("OTEL_BLRP_EXPORT_TIMEOUT", "0", "at least 1")]
    public void For_InvalidValue_ThrowsNamingTheVariableAndTheReason(string variable, string value, string reason)
    {
        var e = Assert.Throws<OtlpSettingsException>(() =>
            OtlpExportSettings.For(Config(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"), (variable, value)), TelemetrySignal.Logs));

        var problem = Assert.Single(e.Problems);
        Assert.StartsWith(variable + " ", problem);
        Assert.Contains(reason, problem);
        Assert.Equal(problem, e.Message);
    }

    [Fact]
    public void For_SeveralInvalidValues_ListsEveryProblem()
    {
        var e = Assert.Throws<OtlpSettingsException>(() => OtlpExportSettings.For(
            Config(
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "not a url"),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
                ("OTEL_BSP_MAX_QUEUE_SIZE", "x")),
            TelemetrySignal.Traces));

        Assert.Equal(3, e.Problems.Count);
    }

    [Theory]
    [InlineData("Authorization Bearer " + Secret)]
    [InlineData("api-key=" + Secret + "%0D%0AX-Injected: 1")]
    [InlineData("api-key=" + Secret + "%00")]
    [InlineData("bad key=" + Secret)]
    [InlineData("ok=1," + Secret)]
    public void For_MalformedHeaders_ThrowWithoutTheSecret(string headers)
    {
        var e = Assert.Throws<OtlpSettingsException>(() => OtlpExportSettings.For(
            Config(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"), ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", headers)),
            TelemetrySignal.Traces));

        Assert.Contains("OTEL_EXPORTER_OTLP_TRACES_HEADERS", e.Message);
        Assert.DoesNotContain(Secret, e.ToString());
    }

    [Theory]
    [InlineData("Content-Type")]
    [InlineData("te")]
    [InlineData("grpc-timeout")]
    public void For_HeaderTheExporterSetsItself_IsRefused(string name)
    {
        var e = Assert.Throws<OtlpSettingsException>(() => OtlpExportSettings.For(
            Config(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"), ("OTEL_EXPORTER_OTLP_HEADERS", name + "=" + Secret)),
            TelemetrySignal.Traces));

        Assert.Contains(name, e.Message);
        Assert.DoesNotContain(Secret, e.Message);
    }

    [Fact]
    public void For_EndpointWithUserInfo_IsRefusedWithoutRepeatingIt()
    {
        var e = Assert.Throws<OtlpSettingsException>(() => OtlpExportSettings.For(
            Config(("OTEL_EXPORTER_OTLP_ENDPOINT", $"https://user:{Secret}@collector/")), TelemetrySignal.Traces));

        Assert.Contains("OTEL_EXPORTER_OTLP_ENDPOINT", e.Message);
        Assert.DoesNotContain(Secret, e.Message);
    }

    [Fact]
    public void ToString_NamesHeadersButNeverTheirValues()
    {
        var settings = OtlpExportSettings.For(
            Config(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"), ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=" + Secret)),
            TelemetrySignal.Traces)!;

        var text = settings.ToString();

        Assert.Equal(
            "OTLP traces: grpc to http://collector:4317/opentelemetry.proto.collector.trace.v1.TraceService/Export, timeout 10000 ms, " +
            "compression none, TLS system trust store, headers: api-key=[hidden]; queue 2048, batch 512, delay 5000 ms, export timeout 30000 ms",
            text);
        Assert.DoesNotContain(Secret, text);
    }

    [Fact]
    public void For_MetricsSignal_ReadsTheMetricsVariablesAndTheGenericOnes()
    {
        var settings = OtlpExportSettings.For(
            Config(
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/base"),
                ("OTEL_EXPORTER_OTLP_HEADERS", "tenant=a,api-key=generic"),
                ("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "api-key=" + Secret),
                ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/protobuf"),
                ("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "1234"),
                ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
                ("OTEL_METRIC_EXPORT_INTERVAL", "2500"),
                ("OTEL_METRIC_EXPORT_TIMEOUT", "900"),
                ("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "Delta")),
            TelemetrySignal.Metrics)!;

        Assert.Equal(new Uri("http://collector:4318/base/v1/metrics"), settings.Endpoint);
        Assert.Equal(OtlpExportProtocol.HttpProtobuf, settings.Protocol);
        Assert.Equal(new KeyValuePair<string, string>[] { new("tenant", "a"), new("api-key", Secret) }, settings.Headers);
        Assert.Equal(TimeSpan.FromMilliseconds(1234), settings.Timeout);
        Assert.Equal(OtlpCompression.Gzip, settings.Compression);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), settings.Batch.ScheduledDelay);
        Assert.Equal(TimeSpan.FromMilliseconds(900), settings.Batch.ExportTimeout);
        Assert.Equal(OpenTelemetry.Metrics.MetricReaderTemporalityPreference.Delta, settings.Temporality);
    }

    [Fact]
    public void For_MetricsOverGrpc_UsesTheMetricsServicePathAndTheDefaults()
    {
        var settings = OtlpExportSettings.For(Config(("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://metrics:4317")), TelemetrySignal.Metrics)!;

        Assert.Equal(new Uri("http://metrics:4317/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"), settings.Endpoint);
        Assert.Equal(TimeSpan.FromSeconds(60), settings.Batch.ScheduledDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.Batch.ExportTimeout);
        Assert.Equal(OpenTelemetry.Metrics.MetricReaderTemporalityPreference.Cumulative, settings.Temporality);
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "sometimes", "not a temporality")]
    [InlineData("OTEL_METRIC_EXPORT_INTERVAL", "1m", "not a duration")]
    [InlineData("OTEL_METRIC_EXPORT_TIMEOUT", "0", "at least 1")]
    [InlineData("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "novalue", "has no '='")]
    public void For_InvalidMetricsValue_ThrowsNamingTheVariable(string variable, string value, string reason)
    {
        var e = Assert.Throws<OtlpSettingsException>(() =>
            OtlpExportSettings.For(Config(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"), (variable, value)), TelemetrySignal.Metrics));

        var problem = Assert.Single(e.Problems);
        Assert.StartsWith(variable, problem);
        Assert.Contains(reason, problem);
    }

    [Theory]
    [InlineData("true")]
    [InlineData("TRUE")]
    public void For_SdkDisabled_NoSignalIsExported(string value)
    {
        var configuration = Config(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"), ("OTEL_SDK_DISABLED", value));

        Assert.True(OtlpExportSettings.SdkDisabled(configuration));
        Assert.Null(OtlpExportSettings.For(configuration, TelemetrySignal.Traces));
        Assert.Null(OtlpExportSettings.For(configuration, TelemetrySignal.Logs));
        Assert.Null(OtlpExportSettings.For(configuration, TelemetrySignal.Metrics));
    }

    [Fact]
    public void For_SdkDisabledFalse_ExportsAsUsual()
    {
        var configuration = Config(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"), ("OTEL_SDK_DISABLED", "false"));

        Assert.NotNull(OtlpExportSettings.For(configuration, TelemetrySignal.Traces));
    }

    [Theory]
    [InlineData("collector:4317", null, null, "https://collector:4317/")]
    [InlineData("collector:4317", "true", null, "http://collector:4317/")]
    [InlineData("collector:4317", "false", "true", "http://collector:4317/")]
    [InlineData("collector:4317", "true", "false", "https://collector:4317/")]
    [InlineData("https://collector:4317", "true", null, "https://collector:4317/")]
    [InlineData("http://collector:4317", "false", null, "http://collector:4317/")]
    [InlineData("[::1]:4317", "true", null, "http://[::1]:4317/")]
    public void For_GrpcEndpointWithoutScheme_IsTlsUnlessInsecureAndASchemeDecidesByItself(string endpoint, string? insecure, string? tracesInsecure, string expectedBase)
    {
        var variables = new List<(string, string)> { ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint) };
        if (insecure is not null)
        {
            variables.Add(("OTEL_EXPORTER_OTLP_INSECURE", insecure));
        }

        if (tracesInsecure is not null)
        {
            variables.Add(("OTEL_EXPORTER_OTLP_TRACES_INSECURE", tracesInsecure));
        }

        var settings = OtlpExportSettings.For(Config([.. variables]), TelemetrySignal.Traces)!;

        Assert.Equal(new Uri(new Uri(expectedBase), "/opentelemetry.proto.collector.trace.v1.TraceService/Export"), settings.Endpoint);
    }

    [Fact]
    public void For_HttpEndpointWithoutScheme_IsRefused()
    {
        var e = Assert.Throws<OtlpSettingsException>(() => OtlpExportSettings.For(
            Config(("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"), ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")), TelemetrySignal.Logs));

        Assert.StartsWith("OTEL_EXPORTER_OTLP_ENDPOINT is 'collector:4318', which is not an absolute http", Assert.Single(e.Problems));
    }

    [Fact]
    public void For_TlsFiles_AreLoadedPerSignalOverTheGenericOnes()
    {
        using var ca = new TestCertificates();
        using var other = new TestCertificates("Logs CA");
        var (certificate, key) = ca.ClientFiles("client");
        var configuration = Config(
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4317"),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca.CaPath),
            ("OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE", other.CaPath),
            ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", certificate),
            ("OTEL_EXPORTER_OTLP_CLIENT_KEY", key));

        var traces = OtlpExportSettings.For(configuration, TelemetrySignal.Traces)!;
        var logs = OtlpExportSettings.For(configuration, TelemetrySignal.Logs)!;

        Assert.Equal(ca.Ca.Thumbprint, Assert.Single(traces.Tls.Trusted!).Thumbprint);
        Assert.Equal(other.Ca.Thumbprint, Assert.Single(logs.Tls.Trusted!).Thumbprint);
        Assert.True(traces.Tls.ClientChain![0].HasPrivateKey);
        Assert.Equal("CN=client", logs.Tls.ClientChain![0].Subject);
        Assert.Contains(other.CaPath, logs.ToString());
        Assert.Contains(certificate, logs.ToString());
    }

    [Fact]
    public void For_ClientKeyWithoutCertificate_NamesBothVariables()
    {
        using var ca = new TestCertificates();
        var (_, key) = ca.ClientFiles("client");

        var e = Assert.Throws<OtlpSettingsException>(() => OtlpExportSettings.For(
            Config(("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4317"), ("OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY", key)), TelemetrySignal.Metrics));

        Assert.Equal(
            "OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY is set without a client certificate; set OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE too.",
            Assert.Single(e.Problems));
    }

    [Fact]
    public void For_ClientKeyOfAnotherCertificate_IsRefusedWithoutQuotingTheKey()
    {
        using var ca = new TestCertificates();
        var (certificate, _) = ca.ClientFiles("client");
        var (_, otherKey) = ca.ClientFiles("other");

        var e = Assert.Throws<OtlpSettingsException>(() => OtlpExportSettings.For(
            Config(
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4317"),
                ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", certificate),
                ("OTEL_EXPORTER_OTLP_CLIENT_KEY", otherKey)),
            TelemetrySignal.Traces));

        var problem = Assert.Single(e.Problems);
        Assert.StartsWith("OTEL_EXPORTER_OTLP_CLIENT_KEY is '" + otherKey + "', which is not the unencrypted PEM private key", problem);
        var keyText = File.ReadAllText(otherKey);
        var keyBody = keyText.Split('\n')[1];
        Assert.DoesNotContain(keyBody, e.ToString());
    }

    [Fact]
    public void For_CertificateFileWithoutPem_IsRefused()
    {
        using var ca = new TestCertificates();
        var path = ca.Write("empty.pem", "not a certificate");

        var e = Assert.Throws<OtlpSettingsException>(() => OtlpExportSettings.For(
            Config(("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4317"), ("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", path)),
            TelemetrySignal.Traces));

        Assert.StartsWith("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE is '" + path + "'", Assert.Single(e.Problems));
    }

    [Fact]
    public void For_CertificateFileMissing_IsRefused()
    {
        var e = Assert.Throws<OtlpSettingsException>(() => OtlpExportSettings.For(
            Config(("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4317"), ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent/ca.pem")),
            TelemetrySignal.Traces));

        Assert.Equal("OTEL_EXPORTER_OTLP_CERTIFICATE is '/nonexistent/ca.pem', which is not a file.", Assert.Single(e.Problems));
    }

    [Fact]
    public void For_TlsFilesWithACleartextEndpoint_AreRefused()
    {
        using var ca = new TestCertificates();

        var e = Assert.Throws<OtlpSettingsException>(() => OtlpExportSettings.For(
            Config(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"), ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca.CaPath)),
            TelemetrySignal.Logs));

        Assert.Contains("is not https", Assert.Single(e.Problems));
    }

    [Theory]
    [InlineData("traces", "OTEL_TRACES_EXPORTER", "none", false)]
    [InlineData("logs", "OTEL_LOGS_EXPORTER", " NONE ", false)]
    [InlineData("traces", "OTEL_TRACES_EXPORTER", "otlp", true)]
    [InlineData("logs", "OTEL_LOGS_EXPORTER", "none,otlp", true)]
    [InlineData("logs", "OTEL_LOGS_EXPORTER", "", true)]
    [InlineData("logs", "OTEL_TRACES_EXPORTER", "none", true)]
    public void For_ExporterVariable_NoneTurnsTheSignalOff(string signal, string variable, string value, bool exported)
    {
        var settings = OtlpExportSettings.For(
            Config(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"), (variable, value)),
            signal == "traces" ? TelemetrySignal.Traces : TelemetrySignal.Logs);

        Assert.Equal(exported, settings is not null);
    }

    [Fact]
    public void For_ExporterVariableNamesAnotherExporter_ThrowsNamingIt()
    {
        var e = Assert.Throws<OtlpSettingsException>(() => OtlpExportSettings.For(
            Config(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"), ("OTEL_TRACES_EXPORTER", "otlp,zipkin")), TelemetrySignal.Traces));

        Assert.Equal("OTEL_TRACES_EXPORTER names 'zipkin', an exporter the gateway does not have; use 'otlp' (the default) or 'none'.", Assert.Single(e.Problems));
    }

    [Theory]
    [InlineData("none", false)]
    [InlineData("otlp", true)]
    public void Metrics_ExporterVariable_NoneTurnsMetricsOff(string value, bool exported)
    {
        var settings = OtlpExportSettings.For(
            Config(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"), ("OTEL_METRICS_EXPORTER", value)), TelemetrySignal.Metrics);

        Assert.Equal(exported, settings is not null);
    }

    internal static IConfiguration Config(params (string Name, string Value)[] variables) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(variables.Select(v => new KeyValuePair<string, string?>(v.Name, v.Value)))
            .Build();
}

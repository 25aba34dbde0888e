using Gateway.Telemetry;
using Gateway.Telemetry.Otlp;

namespace Gateway.Tests.Telemetry.Otlp;

/// <summary>
/// The transport against a real TLS collector (Kestrel, HTTP/1.1 and HTTP/2 through ALPN) whose
/// certificate a CA made in the test issued: trusted only through <c>OTEL_EXPORTER_OTLP_CERTIFICATE</c>,
/// and, where the collector requires one, showing the client certificate of the client variables.
/// </summary>
public sealed class OtlpTransportTlsTests : IDisposable
{
    private readonly TestCertificates _ca = new();

    public void Dispose() => _ca.Dispose();

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task SendAsync_CollectorOfAPrivateCa_TrustedThroughTheCertificateVariable(string protocol)
    {
        using var certificate = _ca.Server();
        await using var collector = await ScriptedCollector.StartAsync(certificate, null, Success(protocol));
        using var transport = Transport(collector, protocol, ("OTEL_EXPORTER_OTLP_CERTIFICATE", _ca.CaPath));

        var result = await transport.SendAsync(OtlpTestRequests.Trace("over tls"), CancellationToken.None);

        Assert.True(result.Success, result.Error);
        var seen = Assert.Single(collector.Requests);
        Assert.Equal(protocol == "grpc" ? "HTTP/2" : "HTTP/1.1", seen.Protocol);
        Assert.Null(seen.ClientCertificate);
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task SendAsync_WithoutTheCa_FailsOnTheCertificateAndIsNotRetried(string protocol)
    {
        using var certificate = _ca.Server();
        await using var collector = await ScriptedCollector.StartAsync(certificate, null, Success(protocol));
        using var other = new TestCertificates("Another CA");
        using var transport = Transport(collector, protocol, ("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", other.CaPath));

        var result = await transport.SendAsync(OtlpTestRequests.Trace("untrusted"), CancellationToken.None);

        Assert.False(result.Success);
        Assert.False(result.Retryable);
        Assert.Equal(1, result.Attempts);
        Assert.Contains("SSL", result.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(collector.Requests);
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task SendAsync_CollectorRequiresAClientCertificate_TheConfiguredOneIsShown(string protocol)
    {
        using var certificate = _ca.Server();
        await using var collector = await ScriptedCollector.StartAsync(certificate, _ca, Success(protocol));
        var (clientCertificate, clientKey) = _ca.ClientFiles("gateway-42");
        using var transport = Transport(collector, protocol,
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", _ca.CaPath),
            ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", clientCertificate),
            ("OTEL_EXPORTER_OTLP_CLIENT_KEY", clientKey));

        var result = await transport.SendAsync(OtlpTestRequests.Trace("mutual"), CancellationToken.None);

        Assert.True(result.Success, result.Error);
        Assert.Equal("CN=gateway-42", Assert.Single(collector.Requests).ClientCertificate);
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task SendAsync_CollectorRequiresAClientCertificate_WithoutOneItRefuses(string protocol)
    {
        using var certificate = _ca.Server();
        await using var collector = await ScriptedCollector.StartAsync(certificate, _ca, Success(protocol));
        using var transport = Transport(collector, protocol, ("OTEL_EXPORTER_OTLP_CERTIFICATE", _ca.CaPath), ("OTEL_EXPORTER_OTLP_TIMEOUT", "2000"));

        var result = await transport.SendAsync(OtlpTestRequests.Trace("anonymous"), CancellationToken.None);

        Assert.False(result.Success);
        Assert.Empty(collector.Requests);
    }

    [Fact]
    public async Task SendAsync_GrpcEndpointWithoutScheme_IsTlsByDefault()
    {
        using var certificate = _ca.Server();
        await using var collector = await ScriptedCollector.StartAsync(certificate, null, Success("grpc"));
        var settings = OtlpExportSettings.For(
            OtlpExportSettingsTests.Config(
                ("OTEL_EXPORTER_OTLP_ENDPOINT", $"localhost:{collector.GrpcEndpoint.Port}"),
                ("OTEL_EXPORTER_OTLP_CERTIFICATE", _ca.CaPath)),
            TelemetrySignal.Traces)!;
        using var transport = new OtlpTransport(settings);

        var result = await transport.SendAsync(OtlpTestRequests.Trace("schemeless"), CancellationToken.None);

        Assert.Equal("https", settings.Endpoint.Scheme);
        Assert.True(result.Success, result.Error);
    }

    private static Func<Microsoft.AspNetCore.Http.HttpContext, Task> Success(string protocol) =>
        protocol == "grpc" ? ScriptedCollector.Grpc(0, response: []) : ScriptedCollector.Http(200);

    private static OtlpTransport Transport(ScriptedCollector collector, string protocol, params (string Name, string Value)[] more)
    {
        var endpoint = protocol == "grpc" ? collector.GrpcEndpoint : collector.HttpEndpoint;
        return new OtlpTransport(OtlpExportSettings.For(
            OtlpExportSettingsTests.Config([("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.ToString()), ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol), .. more]),
            TelemetrySignal.Traces)!);
    }
}

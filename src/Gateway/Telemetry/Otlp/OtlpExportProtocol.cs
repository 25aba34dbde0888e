namespace Gateway.Telemetry.Otlp;

/// <summary>The OTLP transport an exporter speaks (<c>OTEL_EXPORTER_OTLP_PROTOCOL</c>).</summary>
internal enum OtlpExportProtocol
{
    /// <summary><c>grpc</c>: unary <c>Export</c> calls over HTTP/2; the default, as in the OpenTelemetry .NET SDK 1.20.</summary>
    Grpc,

    /// <summary><c>http/protobuf</c>: binary protobuf bodies POSTed over HTTP/1.1.</summary>
    HttpProtobuf,
}

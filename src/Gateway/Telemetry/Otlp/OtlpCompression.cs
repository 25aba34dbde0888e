namespace Gateway.Telemetry.Otlp;

/// <summary>How export request bodies are compressed (<c>OTEL_EXPORTER_OTLP_COMPRESSION</c>).</summary>
internal enum OtlpCompression
{
    /// <summary><c>none</c>: bodies go as they are; the default.</summary>
    None,

    /// <summary><c>gzip</c>: bodies are gzip-compressed and marked so (<c>Content-Encoding</c> or <c>grpc-encoding</c>).</summary>
    Gzip,
}

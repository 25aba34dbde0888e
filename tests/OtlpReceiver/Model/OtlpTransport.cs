namespace OtlpReceiver;

/// <summary>Names of the two OTLP transports, as used in <see cref="ReceivedSpan.Transport"/> and the request counters.</summary>
public static class OtlpTransport
{
    /// <summary>OTLP/gRPC over cleartext HTTP/2.</summary>
    public const string Grpc = "grpc";

    /// <summary>OTLP/HTTP with binary protobuf bodies.</summary>
    public const string Http = "http";
}

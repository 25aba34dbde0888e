namespace GrpcTestService;

/// <summary>The metadata names the Echo service adds to every call.</summary>
public static class EchoMetadata
{
    /// <summary>Response header every call sends (tests look for it on the gateway's record).</summary>
    public const string HeaderName = "x-echo-header";

    /// <summary>Trailer every call sends next to <c>grpc-status</c>.</summary>
    public const string TrailerName = "x-echo-trailer";
}

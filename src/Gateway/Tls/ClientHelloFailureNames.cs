namespace Gateway.Tls;

/// <summary>The <c>reason</c> values of <c>gateway.tls.client_hello.unparsed</c>.</summary>
internal static class ClientHelloFailureNames
{
    /// <summary>The snake-case name of <paramref name="failure"/>.</summary>
    public static string Of(ClientHelloFailure failure) => failure switch
    {
        ClientHelloFailure.Truncated => "truncated",
        ClientHelloFailure.MalformedRecord => "malformed_record",
        ClientHelloFailure.NotClientHello => "not_client_hello",
        ClientHelloFailure.TooLarge => "too_large",
        ClientHelloFailure.Malformed => "malformed",
        _ => "none",
    };
}

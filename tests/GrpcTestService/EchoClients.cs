using Grpc.Net.Client;

namespace GrpcTestService;

/// <summary>Grpc.Net.Client channels to the gateway, as a real gRPC client would open them.</summary>
public static class EchoClients
{
    /// <summary>
    /// A channel to <paramref name="address"/> (http:// is h2c with prior knowledge, https:// negotiates
    /// h2 by ALPN); <paramref name="handler"/> may carry a test's certificate check.
    /// </summary>
    public static GrpcChannel Channel(string address, HttpMessageHandler? handler = null) => GrpcChannel.ForAddress(address, new GrpcChannelOptions
    {
        HttpHandler = handler ?? new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        MaxReceiveMessageSize = GrpcTestServer.MaxMessageBytes,
        MaxSendMessageSize = GrpcTestServer.MaxMessageBytes,
    });

    /// <summary>The generated client over <paramref name="channel"/>.</summary>
    public static Echo.EchoClient Client(GrpcChannel channel) => new(channel);
}

using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gateway.Tests.Support;
using GrpcTestService;

namespace Gateway.Tests.Grpc;

/// <summary>The gateway's HTTP/2 listener over TLS: ALPN picks h2 for a gRPC client and http/1.1 for a client that offers only that.</summary>
public sealed class GrpcListenerTests
{
    [Fact]
    public async Task Tls_Alpn_H2ForGrpcAndHttp11ForAPlainClientOnTheSameEndpoint()
    {
        var directory = Directory.CreateTempSubdirectory("gateway-tls-");
        try
        {
            using var certificate = SelfSigned();
            var pfx = Path.Combine(directory.FullName, "gateway.pfx");
            await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pfx, "test"));
            await using var gateway = await GrpcGateway.StartAsync(
                $$""" "tls": { "Url": "https://127.0.0.1:0", "Protocols": "Http1AndHttp2", "Certificate": { "Path": "{{pfx}}", "Password": "test" } } """);
            var address = gateway.Address;
            Assert.StartsWith("https://", address, StringComparison.Ordinal);

            var pinned = certificate.Thumbprint;
            using var grpcHandler = new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => cert is X509Certificate2 c && c.Thumbprint == pinned } };
            using var channel = EchoClients.Channel(address, grpcHandler);
            var id = Guid.NewGuid().ToString("N")[..12];
            var reply = await EchoClients.Client(channel).UnaryAsync(new EchoRequest { Text = "tls" }, new global::Grpc.Core.Metadata { { "x-call-id", id } });
            Assert.Equal("tls", reply.Text);

            using var plainHandler = new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => cert is X509Certificate2 c && c.Thumbprint == pinned } };
            using var plain = new HttpClient(plainHandler);
            using var request = new HttpRequestMessage(HttpMethod.Get, address + "/plain-" + id) { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
            using var response = await plain.SendAsync(request);
            Assert.Equal(HttpVersion.Version11, response.Version);

            var grpcRecord = await JsonLines.WaitForAsync(gateway.Config.JsonLinesPath, r => r.HasHeader("http.request.header.x-call-id", id));
            Assert.Equal("2", grpcRecord.Attributes().GetProperty("network.protocol.version").GetString());
            Assert.Equal("https", grpcRecord.Attributes().GetProperty("url.scheme").GetString());
            Assert.Equal("grpc", grpcRecord.Attributes().GetProperty("rpc.system").GetString());
            var plainRecord = await JsonLines.WaitForAsync(gateway.Config.JsonLinesPath, r => r.Attributes().GetProperty("url.path").GetString() == "/plain-" + id);
            Assert.Equal("1.1", plainRecord.Attributes().GetProperty("network.protocol.version").GetString());
            Assert.False(plainRecord.Attributes().TryGetProperty("rpc.system", out _));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
    }
}

using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Gateway.Hosting;
using Gateway.Tests.Support;

namespace Gateway.Tests.Tls;

/// <summary>
/// A gateway terminating TLS on 127.0.0.1 with a self-signed certificate for <c>gw.test</c> and
/// 127.0.0.1, in front of a test backend; shared by the live TLS tests (each finds its own record by path).
/// </summary>
public sealed class TlsGateway : IAsyncLifetime
{
    /// <summary>The certificate's host name; clients resolve it to 127.0.0.1.</summary>
    public const string HostName = "gw.test";

    private TestBackend _backend = null!;
    private TestConfig _config = null!;
    private GatewayHost _gateway = null!;

    /// <summary>The HTTPS port.</summary>
    public int Port { get; private set; }

    /// <summary>The cleartext port of the same gateway.</summary>
    public int CleartextPort { get; private set; }

    /// <summary>The certificate in PEM, for clients that verify.</summary>
    public string CertificatePemPath { get; private set; } = "";

    /// <summary>The running gateway.</summary>
    public GatewayHost Host => _gateway;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        _backend = await TestBackend.StartAsync();
        var directory = Directory.CreateTempSubdirectory("gateway-tls-").FullName;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={HostName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(HostName);
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
        var pfx = Path.Combine(directory, "gateway.pfx");
        await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pfx, "test"));
        CertificatePemPath = Path.Combine(directory, "gateway.pem");
        await File.WriteAllTextAsync(CertificatePemPath, certificate.ExportCertificatePem());

        _config = TestConfig.ForBackend(_backend.Address, sections: $$"""
            "Kestrel": { "Endpoints": {
              "https": { "Url": "https://127.0.0.1:0", "Certificate": { "Path": "{{pfx}}", "Password": "test" } },
              "http": { "Url": "http://127.0.0.1:0" } } },
            """);
        _gateway = GatewayHost.Create(["--config", _config.ConfigPath]);
        await _gateway.StartAsync();
        Port = new Uri(_gateway.Addresses.Single(a => a.StartsWith("https:", StringComparison.Ordinal))).Port;
        CleartextPort = new Uri(_gateway.Addresses.Single(a => a.StartsWith("http:", StringComparison.Ordinal))).Port;
    }

    /// <summary>The access record of the request for <paramref name="path"/> (its attributes).</summary>
    public async Task<JsonElement> AccessAsync(string path) =>
        (await JsonLines.WaitForAsync(_config.JsonLinesPath, r => r.GetProperty("event").GetString() == "gateway.access"
            && r.GetProperty("attributes").TryGetProperty("url.path", out var p) && p.GetString() == path)).GetProperty("attributes");

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
        _config.Dispose();
        Directory.Delete(Path.GetDirectoryName(CertificatePemPath)!, recursive: true);
    }
}

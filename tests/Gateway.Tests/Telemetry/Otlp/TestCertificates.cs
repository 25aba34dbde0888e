using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Tests.Telemetry.Otlp;

/// <summary>
/// A private CA made in the test (<see cref="CertificateRequest"/>), the certificates it issues, and
/// their PEM files in a temporary directory that dispose removes: what an operator of a private
/// collector hands the gateway through <c>OTEL_EXPORTER_OTLP_CERTIFICATE</c> and the client variables.
/// </summary>
internal sealed class TestCertificates : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "otlp-tls-" + Guid.NewGuid().ToString("N"));

    /// <summary>A new CA named <paramref name="name"/>.</summary>
    public TestCertificates(string name = "Gateway Test CA")
    {
        Directory.CreateDirectory(_directory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        Ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        CaPath = Write("ca.pem", Ca.ExportCertificatePem());
    }

    /// <summary>The CA certificate, with its key.</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>The CA certificate as a PEM file.</summary>
    public string CaPath { get; }

    /// <summary>A server certificate for 127.0.0.1 and localhost, loaded as Kestrel needs it (key included).</summary>
    public X509Certificate2 Server() =>
        Reload(Issue("CN=localhost", serverAuth: true, san =>
        {
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
        }));

    /// <summary>A client certificate named <paramref name="commonName"/> and its PEM files (certificate, unencrypted PKCS#8 key).</summary>
    public (string CertificatePath, string KeyPath) ClientFiles(string commonName)
    {
        using var client = Issue("CN=" + commonName, serverAuth: false, _ => { });
        using var key = client.GetECDsaPrivateKey()!;
        return (Write(commonName + ".pem", client.ExportCertificatePem()), Write(commonName + ".key", key.ExportPkcs8PrivateKeyPem()));
    }

    /// <summary>Writes <paramref name="text"/> into a file of the directory; returns its path.</summary>
    public string Write(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>True when <paramref name="certificate"/> was issued by this CA (the chain built on it alone).</summary>
    public bool Issued(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    public void Dispose()
    {
        Ca.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private X509Certificate2 Issue(string subject, bool serverAuth, Action<SubjectAlternativeNameBuilder> names)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        var san = new SubjectAlternativeNameBuilder();
        names(san);
        if (serverAuth)
        {
            request.CertificateExtensions.Add(san.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(12);
        using var issued = request.Create(Ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(55), serial);
        return issued.CopyWithPrivateKey(key);
    }

    // Through PKCS#12, so that the key is one a TLS server can use on every platform.
    private static X509Certificate2 Reload(X509Certificate2 certificate)
    {
        using (certificate)
        {
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
        }
    }
}

using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Telemetry.Otlp;

/// <summary>
/// The TLS files of one signal's exporter: <c>OTEL_EXPORTER_OTLP_CERTIFICATE</c> (the CA certificates
/// that verify the collector, PEM), <c>OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE</c> and
/// <c>OTEL_EXPORTER_OTLP_CLIENT_KEY</c> (the client's certificate chain and its unencrypted private
/// key, PEM, for a collector that requires mutual TLS); each one's <c>_TRACES_</c>, <c>_LOGS_</c>,
/// <c>_METRICS_</c> form wins over the generic one. Read and checked once at start.
/// </summary>
/// <remarks>
/// A CA file replaces the system's trust store for the exporter (as the other OpenTelemetry SDKs do):
/// a private collector is trusted for exactly what the file says. The host name is still checked.
/// </remarks>
internal sealed class OtlpTlsSettings
{
    /// <summary>No TLS files: the system's trust store, no client certificate.</summary>
    public static readonly OtlpTlsSettings None = new(null, null, null, null, null);

    private OtlpTlsSettings(
        string? certificatePath, string? clientCertificatePath, string? clientKeyPath,
        X509Certificate2Collection? trusted, X509Certificate2Collection? clientChain)
    {
        CertificatePath = certificatePath;
        ClientCertificatePath = clientCertificatePath;
        ClientKeyPath = clientKeyPath;
        Trusted = trusted;
        ClientChain = clientChain;
    }

    /// <summary>The CA file, as configured; null when the system's trust store is used.</summary>
    public string? CertificatePath { get; }

    /// <summary>The client certificate file, as configured; null without mutual TLS.</summary>
    public string? ClientCertificatePath { get; }

    /// <summary>The client key file, as configured; null without mutual TLS.</summary>
    public string? ClientKeyPath { get; }

    /// <summary>The CA certificates read from <see cref="CertificatePath"/>.</summary>
    public X509Certificate2Collection? Trusted { get; }

    /// <summary>The client certificate (with its key) first, then the intermediates of its file.</summary>
    public X509Certificate2Collection? ClientChain { get; }

    /// <summary>
    /// Reads the three variables through <paramref name="lookup"/> (suffix to the variable that is set
    /// and its value) and loads their files; problems name the variable and never quote a key.
    /// </summary>
    public static OtlpTlsSettings Read(Func<string, (string Variable, string? Value)> lookup, Uri? endpoint, List<string> problems)
    {
        var (caVariable, caPath) = lookup("CERTIFICATE");
        var (certificateVariable, certificatePath) = lookup("CLIENT_CERTIFICATE");
        var (keyVariable, keyPath) = lookup("CLIENT_KEY");
        if (caPath is null && certificatePath is null && keyPath is null)
        {
            return None;
        }

        var before = problems.Count;
        if (endpoint is not null && endpoint.Scheme != Uri.UriSchemeHttps)
        {
            // The files would be read and never used: most likely the endpoint was meant to be https.
            var set = string.Join(", ", new[] { (caVariable, caPath), (certificateVariable, certificatePath), (keyVariable, keyPath) }
                .Where(v => v.Item2 is not null).Select(v => v.Item1));
            problems.Add($"{set} set, but the endpoint {endpoint.GetLeftPart(UriPartial.Authority)} is not https: TLS files apply only to https:// endpoints (or a gRPC endpoint without a scheme).");
            return None;
        }

        X509Certificate2Collection? trusted = null;
        if (caPath is not null)
        {
            trusted = LoadCertificates(caVariable, caPath, problems);
        }

        X509Certificate2Collection? chain = null;
        if ((certificatePath is null) != (keyPath is null))
        {
            problems.Add(certificatePath is null
                ? $"{keyVariable} is set without a client certificate; set {certificateVariable} too."
                : $"{certificateVariable} is set without its private key; set {keyVariable} too.");
        }
        else if (certificatePath is not null)
        {
            chain = LoadClientChain(certificateVariable, certificatePath, keyVariable, keyPath!, problems);
        }

        return problems.Count > before ? None : new OtlpTlsSettings(caPath, certificatePath, keyPath, trusted, chain);
    }

    /// <summary>Sets the trust and the client certificate on the options of the exporter's connections.</summary>
    public void Apply(SslClientAuthenticationOptions options)
    {
        if (Trusted is not null)
        {
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,

                // SslStream's own default: a private CA seldom publishes revocation lists to ask.
                RevocationMode = X509RevocationMode.NoCheck,
            };
            policy.CustomTrustStore.AddRange(Trusted);
            options.CertificateChainPolicy = policy;
        }

        if (ClientChain is not null)
        {
            var intermediates = new X509Certificate2Collection();
            foreach (var certificate in ClientChain.Skip(1))
            {
                intermediates.Add(certificate);
            }

            options.ClientCertificateContext = SslStreamCertificateContext.Create(ClientChain[0], intermediates, offline: true);
        }
    }

    /// <summary>The files, for the start-up line: <c>system trust store</c> when none.</summary>
    public override string ToString()
    {
        if (CertificatePath is null && ClientCertificatePath is null)
        {
            return "system trust store";
        }

        var ca = CertificatePath is null ? "system trust store" : "CA " + CertificatePath;
        return ClientCertificatePath is null ? ca : $"{ca}, client certificate {ClientCertificatePath} (key {ClientKeyPath})";
    }

    private static X509Certificate2Collection? LoadCertificates(string variable, string path, List<string> problems)
    {
        if (!File.Exists(path))
        {
            problems.Add($"{variable} is '{path}', which is not a file.");
            return null;
        }

        try
        {
            var certificates = new X509Certificate2Collection();
            certificates.ImportFromPemFile(path);
            if (certificates.Count == 0)
            {
                problems.Add($"{variable} is '{path}', which holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
                return null;
            }

            return certificates;
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            problems.Add($"{variable} is '{path}', which cannot be read as PEM certificates ({e.Message}).");
            return null;
        }
    }

    private static X509Certificate2Collection? LoadClientChain(string certificateVariable, string certificatePath, string keyVariable, string keyPath, List<string> problems)
    {
        var chain = LoadCertificates(certificateVariable, certificatePath, problems);
        if (chain is null)
        {
            return null;
        }

        if (!File.Exists(keyPath))
        {
            problems.Add($"{keyVariable} is '{keyPath}', which is not a file.");
            return null;
        }

        try
        {
            // The first certificate of the file is the client's, and the key must be its own.
            var client = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
            var result = new X509Certificate2Collection { client };
            foreach (var intermediate in chain.Skip(1))
            {
                result.Add(intermediate);
            }

            return result;
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            // The exception's text is the runtime's (no key material); an encrypted key lands here too.
            problems.Add($"{keyVariable} is '{keyPath}', which is not the unencrypted PEM private key of the certificate in {certificateVariable} ({e.Message}).");
            return null;
        }
    }
}

using System.Text.Json;

namespace Gateway.Tests.Tls;

/// <summary>
/// Real clients over real sockets against a gateway terminating TLS: each client is set to send a
/// particular hello, and its record's <c>tls.*</c> attributes and JA4 must say exactly that.
/// </summary>
/// <remarks>
/// Exact JA4 values come from the reference vectors (<see cref="Ja4FingerprintTests"/>); here a
/// client's fingerprint is checked against its settings: the version, SNI or not, the first ALPN
/// value, and counts that move by exactly what one changed setting adds or removes.
/// </remarks>
public sealed class TlsLiveTests(TlsGateway gateway) : IClassFixture<TlsGateway>
{
    [Fact]
    public async Task Curl_Http2WithSni_RecordSaysTls13H2AndTheName()
    {
        var record = await gateway.AccessAsync(await Curl("--http2"));
        Assert.Equal("1.3", record.GetProperty("tls.protocol.version").GetString());
        Assert.Equal("h2", record.GetProperty("tls.next_protocol").GetString());
        Assert.Equal(TlsGateway.HostName, record.GetProperty("tls.client.server_name").GetString());
        Assert.StartsWith("TLS_", record.GetProperty("tls.cipher").GetString(), StringComparison.Ordinal);
        Assert.False(record.GetProperty("tls.resumed").GetBoolean());
        Assert.Matches("^t13d[0-9]{4}h2_[0-9a-f]{12}_[0-9a-f]{12}$", Ja4(record));
        Assert.Equal("2", record.GetProperty("network.protocol.version").GetString());
    }

    [Fact]
    public async Task Curl_Http11Tls12ToAnAddress_RecordSaysTls12NoSniH1()
    {
        var record = await gateway.AccessAsync(await Curl("--http1.1", "--tlsv1.2", "--tls-max", "1.2", "--address"));
        Assert.Equal("1.2", record.GetProperty("tls.protocol.version").GetString());
        Assert.Equal("http/1.1", record.GetProperty("tls.next_protocol").GetString());
        Assert.False(record.TryGetProperty("tls.client.server_name", out _));
        Assert.Matches("^t12i[0-9]{4}h1_", Ja4(record));
    }

    [Fact]
    public async Task OpenSsl_EachSetting_MovesTheFingerprintByWhatItSends()
    {
        // One TLS 1.3 suite, SNI and ALPN http/1.1 (the request is HTTP/1.1); then one setting changed at a time.
        string[] baseline = ["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256", "-servername", TlsGateway.HostName, "-alpn", "http/1.1"];
        var a = await OpenSslJa4(baseline);
        var threeSuites = await OpenSslJa4(Replace(baseline, "TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"));
        var noSni = await OpenSslJa4(["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256", "-noservername", "-alpn", "http/1.1"]);
        var noAlpn = await OpenSslJa4(baseline[..^2]);
        var otherFirst = await OpenSslJa4(Replace(baseline, "http/1.1", "spdy/3,http/1.1"));

        Assert.Matches("^t13d[0-9]{4}h1_", a.Ja4);
        Assert.Equal(a.Ciphers + 2, threeSuites.Ciphers);
        Assert.Equal(a.Extensions, threeSuites.Extensions);
        Assert.StartsWith("t13i", noSni.Ja4, StringComparison.Ordinal);
        Assert.Equal(a.Extensions - 1, noSni.Extensions);
        Assert.Equal("00", noAlpn.Ja4[8..10]);
        Assert.Equal(a.Extensions - 1, noAlpn.Extensions);
        Assert.Equal("s3", otherFirst.Ja4[8..10]);
        Assert.Equal("http/1.1", otherFirst.Record.GetProperty("tls.next_protocol").GetString());
        // SNI and ALPN are left out of the extension hash: the same client to another name or protocol keeps it.
        Assert.Equal(a.Ja4[^12..], noSni.Ja4[^12..]);
        Assert.Equal(a.Ja4[^12..], noAlpn.Ja4[^12..]);
        Assert.Equal(a.Ja4[11..23], noSni.Ja4[11..23]);
    }

    [Fact]
    public async Task OpenSsl_Tls12WithOneCipher_SaysTls12AndTheCipher()
    {
        var one = await OpenSslJa4(["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256", "-servername", TlsGateway.HostName]);
        var two = await OpenSslJa4(["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384", "-servername", TlsGateway.HostName]);
        Assert.StartsWith("t12d", one.Ja4, StringComparison.Ordinal);
        Assert.Equal(one.Ciphers + 1, two.Ciphers);
        Assert.Equal("1.2", one.Record.GetProperty("tls.protocol.version").GetString());
        Assert.Equal("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", one.Record.GetProperty("tls.cipher").GetString());
        Assert.False(one.Record.TryGetProperty("tls.next_protocol", out _));
    }

    [Fact]
    public async Task Curl_HostOtherThanSni_AndABrowserAgentOverTls12_AreClaimsMismatches()
    {
        const string chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        var fronted = await gateway.AccessAsync(await Curl("--http1.1", "-H", "Host: hidden.test"));
        var oldHello = await gateway.AccessAsync(await Curl("--http1.1", "--tlsv1.2", "--tls-max", "1.2", "-A", chrome));
        var honest = await gateway.AccessAsync(await Curl("--http1.1", "-A", chrome));
        Assert.Equal(["sni_host"], fronted.GetProperty("gateway.client.claims_mismatch").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(["ua_tls"], oldHello.GetProperty("gateway.client.claims_mismatch").EnumerateArray().Select(v => v.GetString()));
        Assert.False(honest.TryGetProperty("gateway.client.claims_mismatch", out _));
    }

    private static string[] Replace(string[] args, string from, string to) => [.. args.Select(a => a == from ? to : a)];

    private static string Ja4(JsonElement record) => record.GetProperty("tls.client.ja4").GetString()!;

    private async Task<string> Curl(params string[] options)
    {
        var path = "/curl-" + Guid.NewGuid().ToString("N");
        var toAddress = options.Contains("--address");
        var host = toAddress ? "127.0.0.1" : TlsGateway.HostName;
        await ClientProcess.RunAsync("curl", [
            "-sS", "-o", "/dev/null", "--cacert", gateway.CertificatePemPath,
            "--resolve", $"{TlsGateway.HostName}:{gateway.Port}:127.0.0.1",
            .. options.Where(o => o != "--address"), $"https://{host}:{gateway.Port}{path}"]);
        return path;
    }

    /// <summary>Runs <c>openssl s_client</c> with <paramref name="options"/>, sends one request, returns its record's JA4 and counts.</summary>
    private async Task<(string Ja4, int Ciphers, int Extensions, JsonElement Record)> OpenSslJa4(string[] options)
    {
        var path = "/openssl-" + Guid.NewGuid().ToString("N");
        // Kestrel ends a "Connection: close" response without close_notify, which OpenSSL 3 reports
        // as an error exit: the response itself is what counts.
        var output = await ClientProcess.RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{gateway.Port}", "-quiet", "-CAfile", gateway.CertificatePemPath, .. options],
            $"GET {path} HTTP/1.1\r\nHost: {TlsGateway.HostName}\r\nConnection: close\r\n\r\n", anyExit: true);
        Assert.StartsWith("HTTP/1.1 200", output, StringComparison.Ordinal);
        var record = await gateway.AccessAsync(path);
        var ja4 = Ja4(record);
        return (ja4, int.Parse(ja4[4..6], System.Globalization.CultureInfo.InvariantCulture), int.Parse(ja4[6..8], System.Globalization.CultureInfo.InvariantCulture), record);
    }
}

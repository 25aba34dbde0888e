using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Gateway.Tls;

namespace Gateway.Tests.Tls;

/// <summary>
/// More clients against the TLS gateway: .NET's SslStream and HttpClient, Python's ssl module,
/// a ClientHello cut into many records and segments, session resumption, and hellos that are
/// not hellos.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TlsClientsTests(TlsGateway gateway) : IClassFixture<TlsGateway>
{
    [Fact]
    public async Task DotNetSslStream_OneSuiteAndAlpn_RecordSaysWhatItWasSetToSend()
    {
        var one = await SslStreamRequestAsync([TlsCipherSuite.TLS_AES_128_GCM_SHA256], "http/1.1");
        var two = await SslStreamRequestAsync([TlsCipherSuite.TLS_AES_128_GCM_SHA256, TlsCipherSuite.TLS_AES_256_GCM_SHA384], "http/1.1");
        Assert.Matches("^t13d[0-9]{4}h1_", Ja4(one));
        Assert.Equal(Count(one, 4) + 1, Count(two, 4));
        Assert.Equal("TLS_AES_128_GCM_SHA256", one.GetProperty("tls.cipher").GetString());
        Assert.Equal("http/1.1", one.GetProperty("tls.next_protocol").GetString());
        Assert.Equal(TlsGateway.HostName, one.GetProperty("tls.client.server_name").GetString());
    }

    [Fact]
    public async Task DotNetHttpClient_Http2ToAnAddress_RecordSaysH2AndNoSni()
    {
        var path = "/httpclient-" + Guid.NewGuid().ToString("N");
        using var handler = new SocketsHttpHandler
        {
            // To an address: HttpClient sends no SNI (RFC 6066 forbids addresses there).
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null },
        };
        using var client = new HttpClient(handler) { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var response = await client.GetAsync($"https://127.0.0.1:{gateway.Port}{path}");
        response.EnsureSuccessStatusCode();
        var record = await gateway.AccessAsync(path);
        Assert.Equal("h2", record.GetProperty("tls.next_protocol").GetString());
        Assert.Matches("^t13i[0-9]{4}h2_", Ja4(record));
        Assert.False(record.TryGetProperty("tls.client.server_name", out _));
    }

    [Fact]
    public async Task Python_Tls12TwoCiphersNoSni_RecordSaysTls12NoSniAndCounts()
    {
        var one = await PythonRequestAsync("ECDHE-ECDSA-AES128-GCM-SHA256", sni: false, alpn: "http/1.1", tls12: true);
        var two = await PythonRequestAsync("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384", sni: false, alpn: "http/1.1", tls12: true);
        var withSni = await PythonRequestAsync("ECDHE-ECDSA-AES128-GCM-SHA256", sni: true, alpn: "http/1.1", tls12: true);
        var noAlpn = await PythonRequestAsync("ECDHE-ECDSA-AES128-GCM-SHA256", sni: true, alpn: null, tls12: true);
        Assert.Matches("^t12i[0-9]{4}h1_", Ja4(one));
        Assert.Equal("1.2", one.GetProperty("tls.protocol.version").GetString());
        Assert.Equal(Count(one, 4) + 1, Count(two, 4));
        Assert.StartsWith("t12d", Ja4(withSni), StringComparison.Ordinal);
        Assert.Equal(Count(one, 6) + 1, Count(withSni, 6));
        Assert.Equal("00", Ja4(noAlpn)[8..10]);
        Assert.Equal(Count(withSni, 6) - 1, Count(noAlpn, 6));
        Assert.False(noAlpn.TryGetProperty("tls.next_protocol", out _));
    }

    [Fact]
    public async Task ClientHelloInManyRecordsAndSegments_GivesTheSameJa4AsInOne()
    {
        string[] options = ["-tls1_3", "-servername", TlsGateway.HostName, "-alpn", "http/1.1"];
        var direct = await OpenSslRequestAsync(gateway.Port, options);
        await using var relay = new SplittingRelay(gateway.Port, recordSize: 64, segmentSize: 50);
        var split = await OpenSslRequestAsync(relay.Port, options);
        Assert.True(relay.HelloRecords >= 4, $"{relay.HelloRecords} records");
        Assert.True(relay.HelloSegments >= 6, $"{relay.HelloSegments} segments");
        Assert.Equal(Ja4(direct), Ja4(split));
    }

    [Fact]
    public async Task SessionResumed_SecondConnectionSaysResumed()
    {
        var session = Path.Combine(Path.GetDirectoryName(gateway.CertificatePemPath)!, "session-" + Guid.NewGuid().ToString("N"));
        var first = await OpenSslRequestAsync(gateway.Port, ["-tls1_3", "-servername", TlsGateway.HostName, "-sess_out", session]);
        var second = await OpenSslRequestAsync(gateway.Port, ["-tls1_3", "-servername", TlsGateway.HostName, "-sess_in", session]);
        Assert.False(first.GetProperty("tls.resumed").GetBoolean());
        Assert.True(second.GetProperty("tls.resumed").GetBoolean());
    }

    [Theory]
    [InlineData("1603010005020000010000", "not_client_hello")]
    [InlineData("16030100080100000403030000", "malformed")]
    [InlineData("1603017fff", "malformed_record")]
    [InlineData("160301020001", "truncated")]
    public async Task BrokenHello_IsCountedByReason_AndTheGatewayGoesOnServing(string hex, string outcome)
    {
        using var listener = new MeterListener();
        var counted = 0L;
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == TlsMetrics.MeterName && instrument.Name == "gateway.tls.client_hellos")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "outcome" && (string?)tag.Value == outcome)
                {
                    Interlocked.Add(ref counted, value);
                }
            }
        });
        listener.Start();

        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(IPAddress.Loopback, gateway.Port);
            await socket.SendAsync(Convert.FromHexString(hex));
            socket.Shutdown(SocketShutdown.Send);
            // The gateway answers with an alert or just closes; either way it ends the connection.
            var buffer = new byte[256];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (await socket.ReceiveAsync(buffer, timeout.Token) > 0)
            {
            }
        }

        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (Interlocked.Read(ref counted) == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.True(Interlocked.Read(ref counted) >= 1, $"no {outcome} counted");
        // Still serving: a real client right after.
        var after = await SslStreamRequestAsync([TlsCipherSuite.TLS_AES_128_GCM_SHA256], "http/1.1");
        Assert.NotNull(Ja4(after));
    }

    private static string Ja4(JsonElement record) => record.GetProperty("tls.client.ja4").GetString()!;

    private static int Count(JsonElement record, int at) => int.Parse(Ja4(record).AsSpan(at, 2), System.Globalization.CultureInfo.InvariantCulture);

    private async Task<JsonElement> SslStreamRequestAsync(TlsCipherSuite[] suites, string alpn)
    {
        var path = "/sslstream-" + Guid.NewGuid().ToString("N");
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, gateway.Port);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = TlsGateway.HostName,
            EnabledSslProtocols = SslProtocols.Tls13,
            CipherSuitesPolicy = new CipherSuitesPolicy(suites),
            ApplicationProtocols = [new SslApplicationProtocol(alpn)],
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null,
        });
        await tls.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {TlsGateway.HostName}\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(tls);
        Assert.StartsWith("HTTP/1.1 200", await reader.ReadLineAsync(), StringComparison.Ordinal);
        return await gateway.AccessAsync(path);
    }

    private async Task<JsonElement> PythonRequestAsync(string ciphers, bool sni, string? alpn, bool tls12)
    {
        var path = "/python-" + Guid.NewGuid().ToString("N");
        var script = $$"""
            import socket, ssl
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.load_verify_locations({{Quote(gateway.CertificatePemPath)}})
            ctx.check_hostname = {{(sni ? "True" : "False")}}
            {{(tls12 ? "ctx.maximum_version = ssl.TLSVersion.TLSv1_2" : "")}}
            ctx.set_ciphers({{Quote(ciphers)}})
            {{(alpn is null ? "" : $"ctx.set_alpn_protocols([{Quote(alpn)}])")}}
            with socket.create_connection(("127.0.0.1", {{gateway.Port}})) as raw:
                with ctx.wrap_socket(raw, server_hostname={{(sni ? Quote(TlsGateway.HostName) : "None")}}) as s:
                    s.sendall(b"GET {{path}} HTTP/1.1\r\nHost: {{TlsGateway.HostName}}\r\nConnection: close\r\n\r\n")
                    print(s.recv(64).decode("latin-1").split("\r\n")[0])
            """;
        var output = await ClientProcess.RunAsync("python3", ["-c", script]);
        Assert.StartsWith("HTTP/1.1 200", output, StringComparison.Ordinal);
        return await gateway.AccessAsync(path);
    }

    private async Task<JsonElement> OpenSslRequestAsync(int port, string[] options)
    {
        var path = "/openssl-" + Guid.NewGuid().ToString("N");
        var output = await ClientProcess.RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{port}", "-quiet", "-CAfile", gateway.CertificatePemPath, .. options],
            $"GET {path} HTTP/1.1\r\nHost: {TlsGateway.HostName}\r\nConnection: close\r\n\r\n", anyExit: true);
        Assert.StartsWith("HTTP/1.1 200", output, StringComparison.Ordinal);
        return await gateway.AccessAsync(path);
    }

    private static string Quote(string text) => "'" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
}

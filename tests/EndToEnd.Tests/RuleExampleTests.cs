using System.Globalization;
using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace EndToEnd.Tests;

/// <summary>
/// The example rules of config/rules-example.json fired through the real gateway process with the
/// kernel probe on, over real sockets whose SYN TTL the test sets (IP_TTL): each asserts the tag,
/// deny and the gateway.alert record that the rule's actions promise, and that a client the rule
/// does not describe passes untouched.
/// </summary>
[Collection(HostLoopback.Name)]
public sealed partial class RuleExampleTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string WindowsChrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    private Backend backend = null!;

    public async Task InitializeAsync() => backend = await Backend.StartAsync();

    public async Task DisposeAsync() => await backend.DisposeAsync();

    [SkippableFact]
    public async Task HopCountContradictingXForwardedFor_TaggedAndAlerted_DirectClientIsNot()
    {
        Ci.RequireRoot();
        await using GatewayProcess gateway = await StartAsync("xff-hops-contradict");

        // Claims to come straight from a private address, yet its SYN crossed 14 routers (64 - 50).
        var (far, farStatus) = await RequestAsync(gateway, ttl: 50, "curl/8.5.0", ("X-Forwarded-For", "10.0.0.7"));
        var (near, nearStatus) = await RequestAsync(gateway, ttl: 64, "curl/8.5.0", ("X-Forwarded-For", "10.0.0.7"));

        Assert.Equal((200, 200), (farStatus, nearStatus));
        Assert.Equal(50, far.Long("wire.ip.ttl"));
        Assert.Contains("ttl-far", far.Str("gateway.forwarded.mismatch"), StringComparison.Ordinal);
        Assert.Equal(["xff-hops-contradict"], Matched(far));
        Assert.DoesNotContain("ttl-far", near.Str("gateway.forwarded.mismatch"), StringComparison.Ordinal);
        Assert.Null(near.Attributes()["gateway.rule.matched"]);
        var alert = await AlertAsync(gateway, "xff-hops-contradict");
        Assert.Equal((string?)far["trace_id"], (string?)alert["trace_id"]);
        Assert.Contains("ttl-far", alert.Str("gateway.forwarded.mismatch"), StringComparison.Ordinal);
        Assert.Single(gateway.Records(), r => r.Event() == "gateway.alert");
    }

    [SkippableFact]
    public async Task WindowsUserAgentOnALinuxSyn_TaggedAlertedAndDeniedByClaimsMismatch_LinuxClientPasses()
    {
        Ci.RequireRoot();
        await using GatewayProcess gateway = await StartAsync("windows-ua-linux-syn", extra: new JsonObject
        {
            // gateway.client.claims_mismatch is known before proxying: a deny can read it.
            ["ua-os-deny"] = new JsonObject
            {
                ["Condition"] = "\"gateway.client.claims_mismatch\" in attrs && \"ua_os\" in attrs[\"gateway.client.claims_mismatch\"]",
                ["Actions"] = new JsonArray("deny", "alert"),
            },
        });

        var (windows, windowsStatus) = await RequestAsync(gateway, ttl: 64, WindowsChrome);
        var (linux, linuxStatus) = await RequestAsync(gateway, ttl: 64, "curl/8.5.0");

        Assert.Equal(403, windowsStatus);
        Assert.Equal(200, linuxStatus);
        Assert.Equal("linux", windows.Str("gateway.client.os_hint"));
        Assert.Equal(["windows-ua-linux-syn"], Matched(windows));
        Assert.Equal("ua-os-deny", windows.Str("gateway.rule.denied"));
        Assert.Equal(403, windows.Long("http.response.status_code"));
        Assert.Null(linux.Attributes()["gateway.rule.matched"]);
        Assert.Null(linux.Attributes()["gateway.rule.denied"]);
        var tagged = await AlertAsync(gateway, "windows-ua-linux-syn");
        var denied = await AlertAsync(gateway, "ua-os-deny");
        Assert.Equal((string?)windows["trace_id"], (string?)tagged["trace_id"]);
        Assert.Equal((string?)windows["trace_id"], (string?)denied["trace_id"]);
        Assert.Equal(403, denied.Long("gateway.alert.denied_status"));
        Assert.Equal(64, tagged.Long("wire.ip.ttl"));
        Assert.Equal(["ua_os"], denied.Attributes()["gateway.client.claims_mismatch"]!.AsArray().Select(v => (string)v!));
    }

    [SkippableFact]
    public async Task Ja4OnTheDenyList_Denied403AndAlerted_AnotherTlsClientPasses()
    {
        Ci.RequireRoot();
        string certificate = Path.Combine(Directory.CreateTempSubdirectory("gateway-rules-tls-").FullName, "gateway.pfx");
        try
        {
            using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            {
                var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
                using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
                await File.WriteAllBytesAsync(certificate, cert.Export(X509ContentType.Pfx, "test"));
            }

            await using GatewayProcess gateway = await StartAsync("ja4-deny-list", urls: "http://127.0.0.1:0;https://127.0.0.1:0", configure: config =>
                config["Kestrel"] = new JsonObject { ["Certificates"] = new JsonObject { ["Default"] = new JsonObject { ["Path"] = certificate, ["Password"] = "test" } } });
            Uri https = gateway.Urls.Single(u => u.Scheme == "https");

            // Two TLS clients with different ClientHellos: .NET's default (TLS 1.3) and one limited to TLS 1.2.
            var (first, firstStatus) = await TlsRequestAsync(gateway, https, SslProtocols.None);
            var (other, otherStatus) = await TlsRequestAsync(gateway, https, SslProtocols.Tls12);
            string ja4 = first.Str("tls.client.ja4");
            Assert.Equal((200, 200), (firstStatus, otherStatus));
            Assert.NotEqual(ja4, other.Str("tls.client.ja4"));

            // Put the first client's JA4 on the example's deny list; the gateway reloads the file.
            var file = JsonNode.Parse(await File.ReadAllTextAsync(gateway.ConfigPath))!;
            string condition = (string)file["Rules"]!["ja4-deny-list"]!["Condition"]!;
            file["Rules"]!["ja4-deny-list"]!["Condition"] = condition.Replace("t13d1516h2_8daaf6152771_02713d6af862", ja4, StringComparison.Ordinal);
            await File.WriteAllTextAsync(gateway.ConfigPath, file.ToJsonString());
            (JsonObject Record, int Status) denied = default;
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (DateTime.UtcNow < deadline && denied.Status != 403)
            {
                denied = await TlsRequestAsync(gateway, https, SslProtocols.None);
                if (denied.Status != 403)
                    await Task.Delay(250);
            }
            var (passed, passedStatus) = await TlsRequestAsync(gateway, https, SslProtocols.Tls12);

            Assert.Equal(403, denied.Status);
            Assert.NotNull(denied.Record);
            Assert.Equal("ja4-deny-list", denied.Record!.Str("gateway.rule.denied"));
            Assert.Equal(ja4, denied.Record!.Str("tls.client.ja4"));
            Assert.Equal(200, passedStatus);
            Assert.Null(passed.Attributes()["gateway.rule.denied"]);
            var alert = await AlertAsync(gateway, "ja4-deny-list");
            Assert.Equal((string?)denied.Record!["trace_id"], (string?)alert["trace_id"]);
            Assert.Equal(403, alert.Long("gateway.alert.denied_status"));
            Assert.Equal(ja4, alert.Str("tls.client.ja4"));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(certificate)!, recursive: true);
        }
    }

    [SkippableFact]
    public async Task RetransmitStorm_LossyPathToTheClient_TaggedAndAlertedWithTheKernelsCount_CleanClientIsNot()
    {
        Ci.RequireRoot();
        const string Lossy = "198.19.17.2", Clean = "198.19.17.3";
        const int Size = 300_000;
        // The clients in a network namespace of their own behind a veth pair; the gateway's probe watches its end too.
        using var peers = new PeerNamespace("198.19.17", 2, 3);
        await using GatewayProcess gateway = await StartAsync("retransmit-storm", urls: $"http://127.0.0.1:0;http://{peers.HostAddress}:0",
            configure: config => config["KernelProbe"]!["Interfaces"] = new JsonArray("lo", peers.HostInterface));
        Uri url = gateway.Urls.Single(u => u.Host == peers.HostAddress);

        // A lossy path to one client: on its way in, every fourth segment with payload from the gateway is
        // dropped until some 20 kB are gone (about 19 segments of 1000 bytes), so the gateway's TCP sends them again.
        peers.AddTable("khg_loss", $$"""
            table inet khg_loss {
              chain input {
                type filter hook input priority 0; policy accept;
                ip saddr {{peers.HostAddress}} ip daddr {{Lossy}} tcp sport {{url.Port}} meta length > 200 numgen inc mod 4 == 0 quota until 20000 bytes counter drop
              }
            }
            """);

        var clean = await FetchOverAsync(gateway, peers, url, Clean, Size);
        var lossy = await FetchOverAsync(gateway, peers, url, Lossy, Size);
        long dropped = long.Parse(LossCounter().Match(peers.Nft("list", "table", "inet", "khg_loss")).Groups[1].Value, CultureInfo.InvariantCulture);

        output.WriteLine($"dropped {dropped}; lossy: kernel {lossy.KernelRetransmits}, record {lossy.Record.Attributes()["wire.request.retransmits_out"]}; clean: kernel {clean.KernelRetransmits}");
        Assert.Equal((200, Size, 200, Size), (clean.Status, clean.BodyLength, lossy.Status, lossy.BodyLength));
        Assert.True(dropped > 10, $"the loss rule dropped {dropped} segments");
        // The gateway's own kernel (ss, TCP_INFO's total_retrans of its socket) and its BPF view agree, segment for segment.
        Assert.True(lossy.KernelRetransmits >= dropped, $"{dropped} segments lost, the kernel sent {lossy.KernelRetransmits} again");
        Assert.Equal(Lossy, lossy.Record.Str("network.peer.address"));
        Assert.Equal(lossy.KernelRetransmits, lossy.Record.Long("wire.request.retransmits_out"));
        Assert.Equal(lossy.KernelRetransmits, lossy.Record.Long("wire.conn.retransmits_out"));
        Assert.Equal(["retransmit-storm"], Matched(lossy.Record));
        var alert = await AlertAsync(gateway, "retransmit-storm");
        Assert.Equal((string?)lossy.Record["trace_id"], (string?)alert["trace_id"]);
        Assert.Equal(lossy.KernelRetransmits, alert.Long("wire.request.retransmits_out"));

        // The same path without loss: the kernel's count and the record's agree, and the rule leaves it alone.
        Assert.Equal(Clean, clean.Record.Str("network.peer.address"));
        Assert.Equal(clean.KernelRetransmits, clean.Record.Long("wire.request.retransmits_out"));
        Assert.True(clean.KernelRetransmits <= 10, $"the clean path needed {clean.KernelRetransmits} retransmissions");
        Assert.Null(clean.Record.Attributes()["gateway.rule.matched"]);
        Assert.Single(gateway.Records(), r => r.Event() == "gateway.alert");
    }

    // One GET of a body of size bytes from a client at source in the peers' namespace (MSS 1000), over a
    // connection kept open until the record is written and the gateway's socket read with ss.
    private static async Task<(JsonObject Record, int Status, int BodyLength, long KernelRetransmits)> FetchOverAsync(
        GatewayProcess gateway, PeerNamespace peers, Uri url, string source, int size)
    {
        string id = Guid.NewGuid().ToString("N");
        // The socket is made on a thread inside the namespace, so it belongs there; the rest runs anywhere.
        using RawHttpClient client = peers.Run(() => RawHttpClient.ConnectAsync(url, ttl: 64, tos: 0, mss: 1000, source: IPAddress.Parse(source)).GetAwaiter().GetResult());
        var (status, body) = await client.GetAsync($"/storm?size={size}", ("X-Test-Id", id)).WaitAsync(TimeSpan.FromSeconds(60));
        var record = (await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && r.HasHeader("x-test-id", id), timeoutSeconds: 30))[0];
        string ss = PeerNamespace.Run("ss", "-tinH", "state", "established", "src", $"{url.Host}:{url.Port}", "dst", $"{source}:{client.LocalEndPoint.Port}");
        Assert.True(ss.Contains(url.Host, StringComparison.Ordinal), $"ss does not show the gateway's socket for {source}:{client.LocalEndPoint.Port}: {ss}");
        // ss shows retrans:<now>/<total> once the socket sent anything again; no field means none.
        Match retrans = TotalRetransmits().Match(ss);
        return (record, status, body.Length, retrans.Success ? long.Parse(retrans.Groups[1].Value, CultureInfo.InvariantCulture) : 0);
    }

    [GeneratedRegex(@"\bretrans:\d+/(\d+)")]
    private static partial Regex TotalRetransmits();

    [GeneratedRegex(@"counter packets (\d+)")]
    private static partial Regex LossCounter();

    private static async Task<(JsonObject Record, int Status)> TlsRequestAsync(GatewayProcess gateway, Uri https, SslProtocols protocols)
    {
        string id = Guid.NewGuid().ToString("N");
        using var handler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true, EnabledSslProtocols = protocols },
        };
        using var client = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(https, "/rules-tls")) { Version = HttpVersion.Version11 };
        request.Headers.Add("X-Test-Id", id);
        using var response = await client.SendAsync(request);
        var record = (await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && r.HasHeader("x-test-id", id)))[0];
        return (record, (int)response.StatusCode);
    }

    private static string[] Matched(JsonObject record) =>
        [.. (record.Attributes()["gateway.rule.matched"] as JsonArray ?? []).Select(v => (string)v!)];

    private static async Task<JsonObject> AlertAsync(GatewayProcess gateway, string rule) =>
        (await gateway.WaitForRecordsAsync(r => r.Event() == "gateway.alert" && (string?)r.Attributes()["gateway.alert.rule"] == rule))[0];

    // The gateway with the shipped example rule(s) named, taken as written from config/rules-example.json.
    private Task<GatewayProcess> StartAsync(string rule, JsonObject? extra = null, string? urls = null, Action<JsonObject>? configure = null)
    {
        var examples = JsonNode.Parse(File.ReadAllText(Path.Combine(DashboardFixture.AspireDashboard.RepoRoot, "config", "rules-example.json")))!;
        var rules = new JsonObject { [rule] = examples["Rules"]![rule]!.DeepClone() };
        foreach (var (name, value) in extra ?? [])
            rules[name] = value!.DeepClone();
        return GatewayProcess.StartAsync(backend.Url, urls: urls ?? "http://127.0.0.1:0;http://[::1]:0", configure: config =>
        {
            config["Rules"] = rules;
            config["Alerts"] = new JsonObject { ["IntervalSeconds"] = 60 };
            configure?.Invoke(config);
        });
    }

    private static async Task<(JsonObject Record, int Status)> RequestAsync(GatewayProcess gateway, int ttl, string userAgent, params (string Name, string Value)[] headers)
    {
        string id = Guid.NewGuid().ToString("N");
        using RawHttpClient client = await RawHttpClient.ConnectAsync(gateway.Url("ipv4"), ttl: ttl, tos: 0, mss: 1400);
        var (status, _) = await client.GetAsync("/rules", [("X-Test-Id", id), ("User-Agent", userAgent), .. headers]);
        var record = (await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && r.HasHeader("x-test-id", id)))[0];
        return (record, status);
    }
}

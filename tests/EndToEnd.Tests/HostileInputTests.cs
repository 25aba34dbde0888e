using System.Text;
using System.Text.Json.Nodes;
using OtlpReceiver;

namespace EndToEnd.Tests;

/// <summary>
/// The real gateway executable under hostile input, with every output it has watched: the
/// JSON-lines file, its own stdout/stderr (console lines and error logs) and what a real OTLP
/// receiver decoded. The kernel probe is off: nothing here is about the wire, so these run
/// without root and in parallel with the kernel tests.
/// </summary>
public sealed class HostileInputTests : IAsyncLifetime
{
    private static readonly string[] RedactedRequestHeaders =
    [
        "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key", "Api-Key", "X-Auth-Token", "X-Access-Token",
        "X-Csrf-Token", "X-Xsrf-Token", "X-Amz-Security-Token", "Authentication-Info", "Proxy-Authentication-Info", "X-Upstream-Token",
    ];

    private static readonly string[] RedactedQueryParameters = ["access_token", "key", "client_secret", "password", "sig", "id_token", "api_key"];

    private readonly string run = Guid.NewGuid().ToString("N")[..10];
    private RecordingBackend backend = null!;
    private OtlpTestReceiver receiver = null!;

    public async Task InitializeAsync()
    {
        backend = await RecordingBackend.StartAsync($"RESPSECRET{run}");
        receiver = await OtlpTestReceiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await receiver.DisposeAsync();
        await backend.DisposeAsync();
    }

    private Task<GatewayProcess> StartGatewayAsync() => GatewayProcess.StartAsync(backend.Url, probeMode: "Off",
        environment: new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.HttpEndpoint.ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "200",
            // Both sinks at once: the test compares what each carries.
            ["Telemetry__JsonLines__Enabled"] = "true",
            // Console lines are off by default once OTLP logs are on; the forging check reads them.
            ["Telemetry__Console"] = "true",
            // The OTLP access record whole (beside its span it would be core): the test compares every header in it.
            ["Telemetry__AccessRecord"] = "Full",
        },
        configure: config =>
        {
            var proxy = config["ReverseProxy"]!.AsObject();
            proxy["Routes"]!.AsObject()["down"] = new JsonObject { ["ClusterId"] = "down", ["Order"] = -1, ["Match"] = new JsonObject { ["Path"] = "/down/{**rest}" } };
            proxy["Clusters"]!.AsObject()["down"] = new JsonObject
            {
                ["Destinations"] = new JsonObject { ["d"] = new JsonObject { ["Address"] = "http://127.0.0.1:1/" } },
            };
        });

    [Fact]
    public async Task MarkedSecrets_InEveryRedactedHeaderAndQueryParameter_AppearInNoOutputAtAll()
    {
        await using GatewayProcess gateway = await StartGatewayAsync();
        Uri url = gateway.Url("ipv4");
        var secrets = new List<string> { backend.ResponseSecret };
        string Secret(string where)
        {
            var secret = $"SECRET{run}{secrets.Count}x";
            secrets.Add(secret);
            return secret;
        }

        string Request(string path)
        {
            var query = string.Join("&", RedactedQueryParameters.Select(p => $"{p}={Secret(p)}").Append("page=2"));
            var request = new StringBuilder($"GET {path}?{query} HTTP/1.1\r\nHost: gateway.test\r\n");
            foreach (var header in RedactedRequestHeaders)
            {
                request.Append($"{header}: {Secret(header)}\r\n");
            }

            return request.Append("Connection: close\r\n\r\n").ToString();
        }

        string ok = await RawSocket.ExchangeAsync(url, RawSocket.Bytes(Request($"/secrets/{run}")));
        string failed = await RawSocket.ExchangeAsync(url, RawSocket.Bytes(Request($"/down/{run}")));
        // Refused by Kestrel before the app: the secret is in the bytes it rejected.
        string folded = await RawSocket.ExchangeAsync(url, RawSocket.Bytes(
            $"GET /folded/{run} HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer {Secret("fold")}\r\n x\r\n\r\n"));

        Assert.StartsWith("HTTP/1.1 200", ok, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 502", failed, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 400", folded, StringComparison.Ordinal);
        var records = await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && ((string?)r["body"])!.Contains(run, StringComparison.Ordinal), count: 2);
        var span = await receiver.WaitForSpanAsync(s => s.Kind == OtlpSpanKind.Server && Flatten(s.Attributes).Contains($"/down/{run}", StringComparison.Ordinal), TimeSpan.FromSeconds(20));
        await receiver.WaitForLogAsync(l => l.EventName == Records.Access && Flatten(l.Attributes).Contains($"/secrets/{run}", StringComparison.Ordinal), TimeSpan.FromSeconds(20));
        await receiver.WaitForLogAsync(l => l.EventName == Records.Access && Flatten(l.Attributes).Contains($"/down/{run}", StringComparison.Ordinal), TimeSpan.FromSeconds(20));
        Assert.Single(backend.Requests, r => r.Path.Contains(run, StringComparison.Ordinal)); // only the 200 reached the backend
        await gateway.StopAsync(TimeSpan.FromSeconds(30));

        // The test means something: the values were there to leak, and the records say [REDACTED].
        var okRecord = records.Single(r => ((string?)r["body"])!.Contains("/secrets/", StringComparison.Ordinal));
        foreach (var header in RedactedRequestHeaders)
        {
            Assert.True(okRecord.HasHeader(header.ToLowerInvariant(), "[REDACTED]"), header);
        }

        Assert.Equal("[REDACTED]", (string?)okRecord.Attributes()["http.response.header.set-cookie"]![0]);
        Assert.Contains("access_token=[REDACTED]", okRecord.Str("url.query"), StringComparison.Ordinal);
        Assert.Contains(backend.Requests, r => r.Headers.TryGetValue("Authorization", out var a) && a.StartsWith($"SECRET{run}", StringComparison.Ordinal));
        Assert.Equal("[REDACTED]", ((object?[])span.Attributes["http.request.header.authorization"]!)[0]);

        var outputs = new Dictionary<string, string>
        {
            ["JSON lines file"] = File.ReadAllText(gateway.JsonLinesPath),
            ["gateway stdout/stderr"] = gateway.Output,
            ["OTLP spans"] = string.Join("\n", receiver.Spans.Select(s => $"{s.Name} {s.StatusMessage} {Flatten(s.Attributes)}")),
            ["OTLP logs"] = string.Join("\n", receiver.Logs.Select(l => $"{l.Body} {Flatten(l.Attributes)}")),
        };
        foreach (var (name, text) in outputs)
        {
            Assert.NotEmpty(text);
            foreach (var secret in secrets)
            {
                Assert.False(text.Contains(secret, StringComparison.Ordinal), $"{secret} leaked into the {name}:\n{text}");
            }
        }
    }

    [Fact]
    public async Task HostileHeaderValues_JsonLineAndOtlpCarryTheSameValueAndTheConsoleCannotBeForged()
    {
        await using GatewayProcess gateway = await StartGatewayAsync();
        Uri url = gateway.Url("ipv4");
        string evil = "a\u0001b\u001b[31mred\u001b]0;title\u0007\u007f\t\"quote\\";
        string request = $"GET /hostile/{run}%0D%0AGET%20/forged%20-%3E%20200 HTTP/1.1\r\nHost: h\r\nX-Evil: {evil}\r\n"
            + $"X-Dup: one\r\nx-dup: two\r\nX-DUP: three\r\nX-Long: {new string('L', 3000)}\r\nConnection: close\r\n\r\n";

        string response = await RawSocket.ExchangeAsync(url, RawSocket.Bytes(request));

        Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
        var record = (await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && ((string?)r["body"])!.Contains(run, StringComparison.Ordinal))).Single();
        var log = await receiver.WaitForLogAsync(l => l.EventName == Records.Access && Flatten(l.Attributes).Contains(run, StringComparison.Ordinal), TimeSpan.FromSeconds(20));
        var span = await receiver.WaitForSpanAsync(s => s.Kind == OtlpSpanKind.Server && Flatten(s.Attributes).Contains(run, StringComparison.Ordinal), TimeSpan.FromSeconds(20));

        foreach (var name in new[] { "http.request.header.x-evil", "http.request.header.x-dup", "http.request.header.x-long", "gateway.request.header_order" })
        {
            string[] fromJson = [.. record.Attributes()[name]!.AsArray().Select(v => (string)v!)];
            Assert.Equal(fromJson, ((object?[])log.Attributes[name]!).Cast<string>());
            Assert.Equal(fromJson, ((object?[])span.Attributes[name]!).Cast<string>());
        }

        Assert.Equal(evil, (string?)record.Attributes()["http.request.header.x-evil"]![0]);
        Assert.Equal(["one", "two", "three"], record.Attributes()["http.request.header.x-dup"]!.AsArray().Select(v => (string)v!));
        Assert.EndsWith("…[truncated]", (string?)record.Attributes()["http.request.header.x-long"]![0], StringComparison.Ordinal);
        Assert.Equal(record.Str("url.path"), log.Attributes["url.path"]);
        Assert.Contains("\r\nGET /forged", record.Str("url.path"), StringComparison.Ordinal);

        // Console: the request's line is one line with the CR LF shown escaped, and no forged line exists.
        await gateway.StopAsync(TimeSpan.FromSeconds(30));
        string[] lines = gateway.Output.Split('\n');
        string line = Assert.Single(lines, l => l.Contains($"/hostile/{run}", StringComparison.Ordinal));
        Assert.Contains(@"\x0D\x0AGET /forged", line, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("GET /forged", StringComparison.Ordinal));
        Assert.DoesNotContain('\u001b', gateway.Output);

        // The file: one JSON object per line, no raw control character.
        foreach (string jsonLine in File.ReadAllLines(gateway.JsonLinesPath).Where(l => l.Length > 0))
        {
            Assert.IsType<JsonObject>(JsonNode.Parse(jsonLine));
            Assert.DoesNotContain(jsonLine, c => c < 0x20);
        }
    }

    [Fact]
    public async Task SmugglingShapes_RefusedOrNormalisedAndTheBackendSeesOnlyWhatTheGatewayLogged()
    {
        await using GatewayProcess gateway = await StartGatewayAsync();
        Uri url = gateway.Url("ipv4");

        // Content-Length with Transfer-Encoding: chunked wins, the body ends at "0", and Kestrel closes the
        // connection after the response, so the bytes that follow never become a request anywhere.
        string both = await RawSocket.ExchangeAsync(url, RawSocket.Bytes(
            $"POST /cl-te/{run} HTTP/1.1\r\nHost: h\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
            + $"GET /pipelined/{run} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
        string duplicate = await RawSocket.ExchangeAsync(url, RawSocket.Bytes(
            $"POST /dup-cl/{run} HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"));
        string folded = await RawSocket.ExchangeAsync(url, RawSocket.Bytes(
            $"GET /obs-fold/{run} HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n b\r\n\r\n"));
        string teIdentity = await RawSocket.ExchangeAsync(url, RawSocket.Bytes(
            $"POST /te-identity/{run} HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\nContent-Length: 3\r\n\r\nabc"));

        Assert.Equal(1, CountOccurrences(both, "HTTP/1.1 "));
        Assert.StartsWith("HTTP/1.1 200", both, StringComparison.Ordinal);
        Assert.Contains("\r\nConnection: close\r\n", both, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 400", duplicate, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 400", folded, StringComparison.Ordinal);
        Assert.Matches("^HTTP/1.1 (400|501)", teIdentity);

        var logged = await gateway.WaitForRecordsAsync(r => r.Event() == Records.Access && ((string?)r["body"])!.Contains(run, StringComparison.Ordinal));
        var seen = backend.Requests.Where(r => r.Path.Contains(run, StringComparison.Ordinal)).ToList();
        Assert.Equal([$"/cl-te/{run}"], seen.Select(r => r.Path));
        Assert.Equal(logged.Select(r => r.Str("url.path")).Order(), seen.Select(r => r.Path).Order());
        Assert.False(seen[0].Headers.ContainsKey("Content-Length") && seen[0].Headers.ContainsKey("Transfer-Encoding"),
            "the backend got both Content-Length and Transfer-Encoding");

        // The refused ones have no access record, yet the file stays valid and their connections are recorded.
        await gateway.StopAsync(TimeSpan.FromSeconds(30));
        var all = gateway.Records();
        Assert.Single(all, r => r.Event() == Records.Access && ((string?)r["body"])!.Contains(run, StringComparison.Ordinal));
        Assert.True(all.Count(r => r.Event() == "wire.connection") >= 4);
    }

    private static int CountOccurrences(string text, string value)
    {
        int count = 0;
        for (int i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + 1, StringComparison.Ordinal))
            count++;
        return count;
    }

    private static string Flatten(IReadOnlyDictionary<string, object?> attributes) =>
        string.Join(" ", attributes.Select(a => $"{a.Key}={(a.Value is object?[] array ? string.Join(",", array) : a.Value)}"));
}

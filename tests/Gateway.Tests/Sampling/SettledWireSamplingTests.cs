using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Correlation;
using Gateway.Hosting;
using Gateway.Telemetry;
using Gateway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Sampling;

/// <summary>
/// Sampling of a record whose response was still leaving when the request ended: its retransmissions,
/// and the matches of rules that read them, are known only once its <c>wire.request.*</c> figures
/// settle, and either keeps it at a ratio of 0. The wire view stands in for the kernel: it reports
/// the request as received and nothing of the response as sent until the connection closes, whose
/// final facts settle the record (as curl's close does).
/// </summary>
public sealed class SettledWireSamplingTests
{
    private const string WireRule = """
        "retransmitted": { "Condition": "\"wire.request.retransmits_out\" in attrs && attrs[\"wire.request.retransmits_out\"] > 0", "Actions": [ "tag" ] }
        """;

    [Theory]
    // No rules: the retransmissions are a wire anomaly, which sampling always keeps.
    [InlineData("none", 3, true)]
    [InlineData("none", 0, false)]
    // Rules that read no wire figure (they run when the request ends): the anomaly still keeps it.
    [InlineData("keep-elsewhere", 3, true)]
    // A tag rule on wire.request.retransmits_out: it runs on the settled figures and its match keeps the record.
    [InlineData("wire-rule", 3, true)]
    [InlineData("wire-rule", 0, false)]
    // A Sampling:AlwaysKeep entry on the status waits with the wire rule; its match, known only then, keeps the record.
    [InlineData("wire-rule+keep-status", 0, true)]
    public async Task Decide_ResponseStillLeavingAtRatioZero_KeptWhenTheSettledFiguresShowRetransmitsOrARuleMatchesThem(string rules, int retransmits, bool kept)
    {
        var sections = rules switch
        {
            "none" => """ "Sampling": { "Ratio": 0 }, """,
            "keep-elsewhere" => """ "Sampling": { "Ratio": 0, "AlwaysKeep": [ { "PathPrefix": "/elsewhere" } ] }, """,
            "wire-rule" => $$""" "Sampling": { "Ratio": 0 }, "Rules": { {{WireRule}} }, """,
            "wire-rule+keep-status" => $$""" "Sampling": { "Ratio": 0, "AlwaysKeep": [ { "MinStatus": 200 } ] }, "Rules": { {{WireRule}} }, """,
            _ => throw new ArgumentOutOfRangeException(nameof(rules)),
        };
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address, sections: sections);
        var view = new LeavingWireView();
        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0"],
            services => services.AddSingleton<IWireView>(view));
        await gateway.StartAsync();
        var ledger = gateway.Services.GetRequiredService<ConnectionLedger>();
        var url = new Uri(gateway.Addresses[0]);
        var marker = Guid.NewGuid().ToString("N");

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, url.Port);
        var clientPort = ((IPEndPoint)socket.LocalEndPoint!).Port;
        var request = Encoding.ASCII.GetBytes($"GET /settle/{marker} HTTP/1.1\r\nHost: gateway.test\r\nX-Test-Id: {marker}\r\n\r\n");
        view.Received(url.Port, clientPort, request.Length);
        await socket.SendAsync(request);
        var response = await ReadResponseAsync(socket);

        // The record waits for its figures (the kernel has not reported the response sent), whatever sampling will say.
        var waited = await WaitUntilAsync(() => ledger.Waiting > 0);
        view.Sent(url.Port, clientPort, response.Length, retransmits);
        socket.Shutdown(SocketShutdown.Both);
        socket.Close();
        // The close's final facts settle the record before its connection's record is written.
        await JsonLines.WaitForAsync(config.JsonLinesPath, r => r.GetProperty("event").GetString() == SemanticConventions.ConnectionEvent
            && r.Attributes().GetProperty("network.peer.port").GetInt32() == clientPort);

        Assert.StartsWith("HTTP/1.1 200", Encoding.ASCII.GetString(response), StringComparison.Ordinal);
        Assert.True(waited, "the record did not wait for its wire figures: sampling decided before they settled");
        var access = JsonLines.ReadAll(config.JsonLinesPath)
            .Where(r => r.GetProperty("event").GetString() == SemanticConventions.AccessEvent && r.HasHeader("http.request.header.x-test-id", marker))
            .ToList();
        Assert.Equal(kept ? 1 : 0, access.Count);
        if (kept)
        {
            var attributes = access[0].Attributes();
            Assert.Equal(retransmits, attributes.GetProperty("wire.request.retransmits_out").GetInt64());
            var tagged = rules.StartsWith("wire-rule", StringComparison.Ordinal) && retransmits > 0;
            Assert.Equal(tagged, attributes.TryGetProperty("gateway.rule.matched", out var matched)
                && matched.EnumerateArray().Any(v => v.GetString() == "retransmitted"));
        }
    }

    // Reads one whole response (Content-Length or chunked) and returns its bytes as they arrived.
    private static async Task<byte[]> ReadResponseAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var received = new List<byte>();
        var buffer = new byte[4096];
        while (!IsComplete(received))
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (read == 0)
            {
                throw new IOException($"the gateway closed the connection after {received.Count} bytes");
            }

            received.AddRange(buffer[..read]);
        }

        return [.. received];
    }

    private static bool IsComplete(List<byte> received)
    {
        var text = Encoding.Latin1.GetString(received.ToArray());
        var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (headEnd < 0)
        {
            return false;
        }

        var head = text[..headEnd].Split("\r\n");
        var length = head.Select(line => line.Split(':', 2))
            .Where(parts => parts.Length == 2 && parts[0].Trim().Equals("content-length", StringComparison.OrdinalIgnoreCase))
            .Select(parts => (int?)int.Parse(parts[1].Trim(), System.Globalization.CultureInfo.InvariantCulture))
            .FirstOrDefault();
        return length is { } body
            ? text.Length >= headEnd + 4 + body
            : text.Length > headEnd + 4 && text.EndsWith("0\r\n\r\n", StringComparison.Ordinal);
    }

    private static async Task<bool> WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(20);
        }

        return true;
    }

    /// <summary>
    /// The kernel's view of the test's client connections: the request received whole, nothing of the
    /// response sent (its last bytes still leaving) until the connection closes; the close's final facts
    /// have the whole response sent, with the retransmissions the test set.
    /// </summary>
    private sealed class LeavingWireView : IWireView
    {
        private readonly ConcurrentDictionary<(int Gateway, int Client), (long Request, long Response, long Retransmits)> _flows = new();

        public bool IsActive => true;

        public string? InactiveReason => null;

        public void Received(int gatewayPort, int clientPort, long requestBytes) => _flows[(gatewayPort, clientPort)] = (requestBytes, 0, 0);

        public void Sent(int gatewayPort, int clientPort, long responseBytes, long retransmits) =>
            _flows[(gatewayPort, clientPort)] = (_flows[(gatewayPort, clientPort)].Request, responseBytes, retransmits);

        public void OnListenSocketCreated(Socket socket)
        {
        }

        public void OnUpstreamSocketCreated(Socket socket)
        {
        }

        public void OnUpstreamSocketClosed(Socket socket, ConnectionTuple? tuple)
        {
        }

        public WireFacts? Lookup(ConnectionTuple tuple) =>
            _flows.TryGetValue((tuple.LocalPort, tuple.PeerPort), out var flow) ? Facts(flow.Request, 0, 0) : null;

        public WireFacts? Complete(ConnectionTuple tuple) =>
            _flows.TryRemove((tuple.LocalPort, tuple.PeerPort), out var flow) ? Facts(flow.Request, flow.Response, flow.Retransmits) : null;

        private static WireFacts Facts(long received, long sent, long retransmits) => new()
        {
            Ttl = 64,
            DataPacketsIn = 1,
            BytesIn = received,
            DataPacketsOut = sent == 0 ? 0 : 2 + retransmits,
            BytesOut = sent,
            PacketsIn = 3,
            PacketsOut = sent == 0 ? 1 : 3 + retransmits,
            RetransmitsOut = retransmits,
            ReceivedOffset = (uint)received,
            SentOffset = (uint)sent,
        };
    }
}

using System.Net;
using Gateway.Correlation;
using Microsoft.AspNetCore.Http;

namespace Gateway.Benchmarks;

/// <summary>
/// The request every benchmark works on: the headers bench/run.sh sends with wrk, and
/// the response headers the benchmark backend (nginx) answers with.
/// </summary>
internal static class Requests
{
    public static readonly IPAddress Loopback = IPAddress.Loopback;

    public static HeaderDictionary RequestHeaders() => new()
    {
        ["Host"] = "127.0.0.1:8080",
        ["User-Agent"] = "gateway-bench/1.0 (wrk)",
        ["Accept"] = "application/json",
        ["X-Request-Id"] = "4bf92f35-77b3-4e2a-9a2d-5b1b0c6e7d21",
        ["Authorization"] = "Bearer bench-secret-token",
    };

    public static void SetResponseHeaders(IHeaderDictionary headers)
    {
        headers.ContentType = "application/json";
        headers.ContentLength = 38;
        headers.Date = "Fri, 27 Nov 2026 20:06:34 GMT";
        headers.Server = "nginx/1.22.1";
    }

    public static ConnectionTuple Downstream => new(Loopback, 8080, Loopback, 45434);

    /// <summary>What the probe typically reports for a loopback client (from a real run).</summary>
    public static WireFacts Facts => new()
    {
        Ttl = 64,
        Dscp = 0,
        Ecn = 0,
        Window = 65495,
        Mss = 65495,
        WindowScale = 10,
        Options = "2-4-8-1-3",
        PacketsIn = 4,
        PacketsOut = 3,
        BytesIn = 154,
        BytesOut = 601,
    };
}

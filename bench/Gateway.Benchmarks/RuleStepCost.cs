using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Configuration;
using Gateway.Correlation;
using Gateway.Hosting;
using Gateway.Requests;
using Gateway.Rules;
using Gateway.Telemetry.Records;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Benchmarks;

/// <summary>
/// <c>rules-step [--requests N] [--repeat K] [--steps-only]</c>: what the ten typical rules (<see cref="TypicalRules"/>) cost per
/// request over real Kestrel requests, without the whole bench. Two parts:
/// <list type="number">
/// <item>The rules' three steps (<c>RequestRules.Start</c>, <c>DenyBeforeProxying</c>, <c>Finish</c>)
/// timed once per request inside a Kestrel handler, on the request Kestrel parsed from the bench's
/// bytes (wrk's four headers, one keep-alive connection), with the connection's rule cache as the
/// gateway's ledger keeps it for each connection. Every other request runs the same steps with no rules
/// (the clock's own cost and the empty steps), and the figures are the difference. Allocation is
/// the thread's own counter around the steps. On the requests with rules, the record's client verdict
/// (<c>RequestMiddleware.ClientVerdict</c>: shared from the rules) is timed too, against resolving it again
/// from the headers as the record would without the rules' verdict.</item>
/// <item>The whole gateway in this process (<see cref="GatewayHost"/>, the probe off, a wire view
/// that answers the bench's typical facts) with and without the rules: bytes allocated by the
/// process per request, rules minus none.</item>
/// </list>
/// The wire view is a fixed answer, so the kernel flow read behind <c>wire.*</c> is not in these
/// figures (FlowLookupBenchmarks measures it); bench/profile.sh's rules row measures everything.
/// </summary>
internal static class RuleStepCost
{
    private static readonly byte[] Body = Encoding.ASCII.GetBytes("{\"message\":\"hello\",\"status\":\"ok\"}\n\n\n\n\n");

    public static async Task<int> RunAsync(string[] args)
    {
        var requests = 20_000;
        var repeat = 1;
        for (var i = 0; i + 1 < args.Length; i++)
        {
            if (args[i] == "--requests")
            {
                requests = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            }
            else if (args[i] == "--repeat")
            {
                repeat = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            }
        }

        await StepsAsync(requests, repeat);
        if (!args.Contains("--steps-only"))
        {
            await ProcessAsync(requests);
        }

        return 0;
    }

    // Part 1: the rules' steps on Kestrel's own request objects.
    // With repeat > 1 the steps run that many times on each request and the figures are per run: the
    // thread switches around a request (the client is in this process) are spread over the runs.
    private static async Task StepsAsync(int requests, int repeat)
    {
        var rules = TypicalRules.Compile();
        var withRules = new PolicySnapshot(new HeaderLoggingSettings(), new SamplingSettings(), new ClientIdentitySettings(), rules);
        var without = new PolicySnapshot(new HeaderLoggingSettings(), new SamplingSettings(), new ClientIdentitySettings());
        var wire = new FixedWireView();
        var ticks = new[] { new List<long>(requests), new List<long>(requests) };
        var verdictTicks = new[] { new List<long>(requests), new List<long>(requests) };
        var bytes = new long[2];
        var served = 0;
        TelemetryRecord? spare = null;
        var caches = new System.Collections.Concurrent.ConcurrentBag<ConnectionRuleCache>();

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(listen => listen.Use(next => connection =>
        {
            // As ConnectionRecordMiddleware does while rules read the handshake only.
            var cache = new ConnectionRuleCache();
            caches.Add(cache);
            connection.Features.Set(cache);
            return next(connection);
        })));
        await using var app = builder.Build();
        app.Run(async context =>
        {
            var n = served++;
            var which = n % 2;
            var telemetry = Interlocked.Exchange(ref spare, null) ?? new TelemetryRecord();
            var span = telemetry.AddSpan();
            var record = RequestRecord.For(telemetry, which == 0 ? withRules : without, span, null);
            var tuple = RequestMiddleware.DownstreamTuple(context.Connection);
            var facts = wire.Lookup(tuple!.Value);

            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var started = Stopwatch.GetTimestamp();
            for (var run = 0; run < repeat; run++)
            {
                RequestRules.Start(record, context, wire, tuple, context.Features.Get<ConnectionRuleCache>());
                if (record.Rules is not null)
                {
                    RequestRules.DenyBeforeProxying(context, record);
                    RequestRules.Finish(record, span.Attributes, facts, null, 1.0, context);
                }
            }

            var elapsed = (Stopwatch.GetTimestamp() - started) / repeat;
            allocated = (GC.GetAllocatedBytesForCurrentThread() - allocated) / repeat;
            if (record.Rules is not null)
            {
                // The record's client verdict at the request's end: taken from the rules, and (what it
                // costs without them) resolved again from the headers, alternately first.
                long sharedTicks, resolvedTicks;
                if (n % 4 == 0)
                {
                    sharedTicks = TimeShared(record, context, tuple.Value, facts);
                    resolvedTicks = TimeResolved(record, context, tuple.Value, facts);
                }
                else
                {
                    resolvedTicks = TimeResolved(record, context, tuple.Value, facts);
                    sharedTicks = TimeShared(record, context, tuple.Value, facts);
                }

                if (n >= requests / 5 * 2)
                {
                    verdictTicks[0].Add(sharedTicks);
                    verdictTicks[1].Add(resolvedTicks);
                }
            }

            if (n >= requests / 5 * 2)
            {
                // The first fifth of each kind warms up (tiering).
                ticks[which].Add(elapsed);
                bytes[which] += allocated;
            }

            telemetry.Discard();
            spare = telemetry;
            Requests.SetResponseHeaders(context.Response.Headers);
            await context.Response.Body.WriteAsync(Body);
        });
        await app.StartAsync();
        var port = new Uri(app.Urls.First()).Port;
        await SendAsync(port, requests * 2);
        await app.StopAsync();

        var rulesNs = Figures(ticks[0]);
        var noneNs = Figures(ticks[1]);
        Console.Out.WriteLine($"rules-step: {ticks[0].Count} requests of each kind measured (after {requests * 2 / 5} of warm-up), one keep-alive connection, Kestrel HTTP/1.1{(repeat > 1 ? $", the steps {repeat} times per request (figures per run)" : "")}");
        Console.Out.WriteLine($"  three steps, ten rules:  p10 {rulesNs.P10:F0} ns, median {rulesNs.Median:F0} ns, mean {rulesNs.Mean:F0} ns, p90 {rulesNs.P90:F0} ns, {(double)bytes[0] / ticks[0].Count:F1} B/request");
        Console.Out.WriteLine($"  three steps, no rules:   p10 {noneNs.P10:F0} ns, median {noneNs.Median:F0} ns, mean {noneNs.Mean:F0} ns, p90 {noneNs.P90:F0} ns, {(double)bytes[1] / ticks[1].Count:F1} B/request");
        var shared = Figures(verdictTicks[0]);
        var resolved = Figures(verdictTicks[1]);
        Console.Out.WriteLine($"  the record's client verdict, ten rules: shared from the rules p10 {shared.P10:F0} ns, median {shared.Median:F0} ns; resolved again p10 {resolved.P10:F0} ns, median {resolved.Median:F0} ns");
        // The rules that read the handshake only ran at the connection's first request: the step found the connection's cache.
        Console.Out.WriteLine($"  connection's rule cache filled: {caches.Count(c => c.ResultsOf(rules) is not null)} of {caches.Count} connection(s)");
        Console.Out.WriteLine($"  rules' own (difference): p10 {rulesNs.P10 - noneNs.P10:F0} ns, median {rulesNs.Median - noneNs.Median:F0} ns, mean {rulesNs.Mean - noneNs.Mean:F0} ns");
    }

    // Part 2: the whole gateway, with and without the rules: the process's bytes per request.
    private static async Task ProcessAsync(int requests)
    {
        var backend = WebApplication.CreateSlimBuilder();
        backend.Logging.ClearProviders();
        backend.WebHost.UseUrls("http://127.0.0.1:0");
        await using var nginx = backend.Build();
        nginx.Run(context =>
        {
            Requests.SetResponseHeaders(context.Response.Headers);
            return context.Response.Body.WriteAsync(Body).AsTask();
        });
        await nginx.StartAsync();

        // Alternated, twice each: the process's bytes per request move by tens of bytes between rows of one kind.
        var none = new List<double>();
        var ten = new List<double>();
        for (var round = 0; round < 2; round++)
        {
            none.Add(await GatewayBytesAsync(nginx.Urls.First(), null, requests));
            ten.Add(await GatewayBytesAsync(nginx.Urls.First(), TypicalRules.ConfigSection(), requests));
        }

        Console.Out.WriteLine($"rules-process: the gateway in this process, {requests} measured requests per row, one keep-alive connection");
        Console.Out.WriteLine($"  no rules:  {string.Join(", ", none.Select(b => b.ToString("F1", CultureInfo.InvariantCulture)))} B/request");
        Console.Out.WriteLine($"  ten rules: {string.Join(", ", ten.Select(b => b.ToString("F1", CultureInfo.InvariantCulture)))} B/request, {ten.Average() - none.Average():F1} more on average");
        await nginx.StopAsync();
    }

    private static async Task<double> GatewayBytesAsync(string backend, string? rules, int requests)
    {
        var directory = Directory.CreateTempSubdirectory("rules-step-");
        try
        {
            var config = Path.Combine(directory.FullName, "gateway.json");
            await File.WriteAllTextAsync(config, $$"""
                {
                  "Logging": { "LogLevel": { "Default": "Warning" } },
                  "ReverseProxy": {
                    "Routes": { "api": { "ClusterId": "backend", "Match": { "Path": "{**catch-all}" } } },
                    "Clusters": { "backend": { "Destinations": { "nginx": { "Address": "{{backend}}" } } } }
                  },
                  {{(rules is null ? "" : $"\"Rules\": {rules},")}}
                  "HeaderLogging": { "Request": { "Mode": "All" }, "Response": { "Mode": "All" }, "MaxValueBytes": 1024, "MaxHeaders": 64 },
                  "KernelProbe": { "Mode": "Off" },
                  "Telemetry": { "JsonLines": { "Path": "{{Path.Combine(directory.FullName, "access.jsonl")}}" }, "Console": false }
                }
                """);
            await using var gateway = GatewayHost.Create(["--config", config, "--urls", "http://127.0.0.1:0"],
                services => services.AddSingleton<IWireView>(new FixedWireView()));
            await gateway.StartAsync();
            var port = new Uri(gateway.Addresses[0]).Port;
            await SendAsync(port, requests);
            var before = GC.GetTotalAllocatedBytes(precise: true);
            await SendAsync(port, requests);
            var after = GC.GetTotalAllocatedBytes(precise: true);
            await gateway.StopAsync();
            return (double)(after - before) / requests;
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    // The bench's request (bench/lib.sh: wrk with four headers), one after the other on one connection.
    private static async Task SendAsync(int port, int count)
    {
        var request = Encoding.ASCII.GetBytes(
            $"GET /api/hello HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: gateway-bench/1.0 (wrk)\r\nAccept: application/json\r\n" +
            "X-Request-Id: 4bf92f35-77b3-4e2a-9a2d-5b1b0c6e7d21\r\nAuthorization: Bearer bench-secret-token\r\n\r\n");
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        var buffer = new byte[16384];
        for (var i = 0; i < count; i++)
        {
            await socket.SendAsync(request);
            var have = 0;
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer.AsMemory(have));
                if (read == 0)
                {
                    throw new IOException($"the server closed the connection after {i} responses");
                }

                have += read;
                if (Complete(buffer.AsSpan(0, have)))
                {
                    break;
                }
            }
        }
    }

    // A response is complete once its headers ended and Content-Length bytes of body followed.
    private static bool Complete(ReadOnlySpan<byte> response)
    {
        var end = response.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            return false;
        }

        var head = Encoding.ASCII.GetString(response[..end]);
        var at = head.IndexOf("Content-Length:", StringComparison.OrdinalIgnoreCase);
        var length = at < 0 ? 0 : int.Parse(head.AsSpan(at + 15, head.IndexOf('\r', at) is var eol and > 0 ? eol - at - 15 : head.Length - at - 15).Trim(), CultureInfo.InvariantCulture);
        return response.Length >= end + 4 + length;
    }

    private static (double Median, double Mean, double P90, double P10) Figures(List<long> ticks)
    {
        var ns = ticks.Select(t => t * 1e9 / Stopwatch.Frequency).Order().ToArray();
        return (ns[ns.Length / 2], ns.Average(), ns[ns.Length * 9 / 10], ns[ns.Length / 10]);
    }

    private static long TimeShared(RequestRecord record, HttpContext context, ConnectionTuple tuple, WireFacts? facts)
    {
        var started = Stopwatch.GetTimestamp();
        var verdict = RequestMiddleware.ClientVerdict(record, context.Request, tuple, facts);
        var elapsed = Stopwatch.GetTimestamp() - started;
        GC.KeepAlive(verdict.ClientAddress);
        return elapsed;
    }

    private static long TimeResolved(RequestRecord record, HttpContext context, ConnectionTuple tuple, WireFacts? facts)
    {
        var started = Stopwatch.GetTimestamp();
        var headers = context.Request.Headers;
        var verdict = record.Snapshot.Identity.Resolve(tuple.PeerAddress, tuple.PeerPort, headers["Forwarded"], headers["X-Forwarded-For"], facts);
        var elapsed = Stopwatch.GetTimestamp() - started;
        GC.KeepAlive(verdict.ClientAddress);
        return elapsed;
    }

    // The facts the probe typically reports for a loopback client, the counters moving as requests come.
    private sealed class FixedWireView : IWireView
    {
        private long _packets;

        // Not active: no per-request share of the counters is taken (that needs the kernel's offsets).
        public bool IsActive => false;

        public string? InactiveReason => "fixed facts";

        public void OnListenSocketCreated(Socket socket)
        {
        }

        public void OnUpstreamSocketCreated(Socket socket)
        {
        }

        public void OnUpstreamSocketClosed(Socket socket, ConnectionTuple? tuple)
        {
        }

        public WireFacts? Lookup(ConnectionTuple tuple)
        {
            var facts = Requests.Facts;
            var packets = Interlocked.Increment(ref _packets);
            return facts with { PacketsIn = packets * 2, PacketsOut = packets * 2 };
        }

        public WireFacts? Complete(ConnectionTuple tuple) => Lookup(tuple);
    }
}

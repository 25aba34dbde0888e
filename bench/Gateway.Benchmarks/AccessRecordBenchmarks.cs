using Microsoft.Extensions.Configuration;
using System.Buffers;
using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Gateway.Configuration;
using Gateway.Correlation;
using Gateway.HeaderCapture;
using Gateway.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Trace;

namespace Gateway.Benchmarks;

/// <summary>
/// The gateway's first middleware on one request, around a <c>next</c> that only sets the
/// response: server span, header capture, the access record's attributes, the wire view's
/// answer, the record handed to OpenTelemetry. Also the embedded sink's formatting of one
/// record, which runs on the export thread but on the same cores.
/// </summary>
/// <remarks>
/// Not included: YARP's route feature (route and cluster ids are constant strings, no
/// allocation), the client span of <c>UpstreamSpanStep</c> (a second, smaller attribute
/// list and span), the kernel lookup itself (see <see cref="FlowLookupBenchmarks"/>).
/// Records go through a synchronous processor into an exporter that discards them, so
/// the cost counted is what the request thread pays.
/// </remarks>
public class AccessRecordBenchmarks
{
    private TracerProvider _tracing = null!;
    private ILoggerFactory _logging = null!;
    private DefaultHttpContext _context = null!;
    private ServerSpanMiddleware _noRecord = null!;
    private ServerSpanMiddleware _probeOff = null!;
    private ServerSpanMiddleware _probeOn = null!;
    private AttributeList _recordAttributes = null!;
    private ArrayBufferWriter<byte> _line = null!;

    private WireMetrics _metrics = null!;

    [GlobalSetup]
    public void Setup()
    {
        // As in the gateway: spans always sampled (the record takes their ids), no span exporter in row 3.
        _tracing = Sdk.CreateTracerProviderBuilder().AddSource(SemanticConventions.ActivitySourceName).Build()!;
        _logging = LoggerFactory.Create(builder => builder.AddOpenTelemetry(options =>
        {
            options.IncludeFormattedMessage = true;
            options.AddProcessor(new SimpleLogRecordExportProcessor(new DiscardingExporter()));
        }));

        // The gateway's default policy, built from an empty configuration as at start.
        var policies = new PolicySnapshotSource(new ConfigurationBuilder().Build(), watch: false);
        RequestDelegate next = context =>
        {
            context.Response.StatusCode = 200;
            Requests.SetResponseHeaders(context.Response.Headers);
            return Task.CompletedTask;
        };
        var off = new DisabledWireView("benchmark");
        _metrics = new WireMetrics(off);
        var on = new FixedWireView(Requests.Facts);
        _noRecord = new ServerSpanMiddleware(next, off, new WireRequestLedger(), policies, new RecordLogger(NullLoggerFactory.Instance), _metrics, NullLogger<ServerSpanMiddleware>.Instance);
        _probeOff = new ServerSpanMiddleware(next, off, new WireRequestLedger(), policies, new RecordLogger(_logging), _metrics, NullLogger<ServerSpanMiddleware>.Instance);
        _probeOn = new ServerSpanMiddleware(next, on, new WireRequestLedger(), policies, new RecordLogger(_logging), _metrics, NullLogger<ServerSpanMiddleware>.Instance);

        _context = new DefaultHttpContext();
        _context.Request.Method = "GET";
        _context.Request.Scheme = "http";
        _context.Request.Path = "/api/bench";
        foreach (var (name, value) in Requests.RequestHeaders())
        {
            _context.Request.Headers[name] = value;
        }

        _context.Request.Host = new HostString("127.0.0.1", 8080);
        _context.Request.Protocol = "HTTP/1.1";
        _context.Connection.LocalIpAddress = Requests.Loopback;
        _context.Connection.LocalPort = 8080;
        _context.Connection.RemoteIpAddress = Requests.Loopback;
        _context.Connection.RemotePort = 45434;

        // A full access record as the probe-on gateway writes it, for the formatter.
        _recordAttributes = [];
        using (var capture = new CapturingProcessorScope(_recordAttributes))
        {
            var logging = LoggerFactory.Create(builder => builder.AddOpenTelemetry(o => o.AddProcessor(capture.Processor)));
            var middleware = new ServerSpanMiddleware(next, on, new WireRequestLedger(), policies, new RecordLogger(logging), _metrics, NullLogger<ServerSpanMiddleware>.Instance);
            middleware.InvokeAsync(_context).GetAwaiter().GetResult();
            logging.Dispose();
        }

        _line = new ArrayBufferWriter<byte>(8192);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _logging.Dispose();
        _tracing.Dispose();
    }

    /// <summary>Span and attributes built, the access record not written (its logger disabled).</summary>
    [Benchmark]
    public Task Request_NoRecord() => _noRecord.InvokeAsync(_context);

    /// <summary>Row 3 on the request thread: span, attributes, record handed to OpenTelemetry, wire not observed.</summary>
    [Benchmark]
    public Task Request_ProbeOff() => _probeOff.InvokeAsync(_context);

    /// <summary>Row 4 on the request thread: as above with every wire.* attribute (lookup answered from memory).</summary>
    [Benchmark]
    public Task Request_ProbeOn() => _probeOn.InvokeAsync(_context);

    /// <summary>The embedded sink formatting one probe-on access record as a JSON line (export thread).</summary>
    [Benchmark]
    public int JsonLine_Format()
    {
        _line.ResetWrittenCount();
        JsonLineFormatter.Write(_line, DateTime.UtcNow, SemanticConventions.AccessEvent, default, default, "GET /api/bench 200 0.6ms", _recordAttributes);
        return _line.WrittenCount;
    }

    private sealed class DiscardingExporter : BaseExporter<LogRecord>
    {
        public override ExportResult Export(in Batch<LogRecord> batch) => ExportResult.Success;
    }

    /// <summary>Copies the attributes of the first record it sees.</summary>
    private sealed class CapturingProcessorScope(AttributeList target) : IDisposable
    {
        public BaseProcessor<LogRecord> Processor { get; } = new Capture(target);

        public void Dispose() => Processor.Dispose();

        private sealed class Capture(AttributeList target) : BaseProcessor<LogRecord>
        {
            public override void OnEnd(LogRecord data)
            {
                if (target.Count == 0 && data.Attributes is { } attributes)
                {
                    target.AddRange(attributes);
                }
            }
        }
    }

    /// <summary>A wire view that answers every lookup with the same facts, without a kernel.</summary>
    private sealed class FixedWireView(WireFacts facts) : IWireView
    {
        public bool IsActive => true;

        public string? InactiveReason => null;

        public void OnListenSocketCreated(System.Net.Sockets.Socket socket)
        {
        }

        public void OnUpstreamSocketCreated(System.Net.Sockets.Socket socket)
        {
        }

        public void OnUpstreamSocketClosed(System.Net.Sockets.Socket socket, ConnectionTuple? tuple)
        {
        }

        public WireFacts? Lookup(ConnectionTuple tuple) => facts;

        public WireFacts? Complete(ConnectionTuple tuple) => facts;
    }
}

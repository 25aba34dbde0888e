using Microsoft.Extensions.Configuration;
using System.Buffers;
using BenchmarkDotNet.Attributes;
using Gateway.Configuration;
using Gateway.Correlation;
using Gateway.HeaderCapture;
using Gateway.Requests;
using Gateway.Telemetry;
using Microsoft.AspNetCore.Http;
using System.Text.Json;
using Gateway.Telemetry.Otlp;
using Gateway.Telemetry.Records;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Benchmarks;

/// <summary>
/// The gateway's first middleware on one request, around a <c>next</c> that only sets the
/// response: server span, header capture, the access record's attributes, the wire view's
/// answer, the record handed to the sinks' queues. Also the sinks' writing of one record (JSON
/// line, OTLP span, OTLP log record), which runs on the export loop but on the same cores.
/// </summary>
/// <remarks>
/// Not included: YARP's route feature (route and cluster ids are constant strings, no
/// allocation), the client span of <c>UpstreamSpanStep</c> (a second, smaller attribute
/// list and span), the kernel lookup itself (see <see cref="FlowLookupBenchmarks"/>).
/// Records go to sinks that discard them on their own loop, and come back to the pool.
/// </remarks>
public class AccessRecordBenchmarks
{
    private RecordPipeline _records = null!;
    private RecordPipeline _none = null!;
    private DefaultHttpContext _context = null!;
    private RequestMiddleware _noRecord = null!;
    private RequestMiddleware _probeOff = null!;
    private RequestMiddleware _probeOn = null!;
    private TelemetryRecord _record = null!;
    private ArrayBufferWriter<byte> _line = null!;
    private Utf8JsonWriter _json = null!;
    private ProtoWriter _proto = null!;
    private WireMetrics _metrics = null!;

    [GlobalSetup]
    public void Setup()
    {
        using var loss = new TelemetryLoss();
        _records = new RecordPipeline([new DiscardingSink(TelemetrySignal.Traces, loss), new DiscardingSink(TelemetrySignal.Logs, loss)]);
        _none = new RecordPipeline([]);

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
        _noRecord = new RequestMiddleware(next, off, new ConnectionLedger(), policies, _none, _metrics, NullLogger<RequestMiddleware>.Instance);
        _probeOff = new RequestMiddleware(next, off, new ConnectionLedger(), policies, _records, _metrics, NullLogger<RequestMiddleware>.Instance);
        _probeOn = new RequestMiddleware(next, on, new ConnectionLedger(), policies, _records, _metrics, NullLogger<RequestMiddleware>.Instance);

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

        // A full access record as the probe-on gateway writes it, for the writers.
        var capture = new CapturingSink(loss);
        var capturing = new RecordPipeline([capture]);
        new RequestMiddleware(next, on, new ConnectionLedger(), policies, capturing, _metrics, NullLogger<RequestMiddleware>.Instance)
            .InvokeAsync(_context).GetAwaiter().GetResult();
        _record = capture.First.Task.GetAwaiter().GetResult();

        _line = new ArrayBufferWriter<byte>(8192);
        _json = new Utf8JsonWriter(_line, JsonLineFormatter.Options);
        _proto = new ProtoWriter();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _records.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _json.Dispose();
    }

    /// <summary>Span and attributes built, sampled, no sink to take the record.</summary>
    [Benchmark]
    public Task Request_NoSink() => _noRecord.InvokeAsync(_context);

    /// <summary>Row 3 on the request thread: span, attributes, record encoded for two OTLP sinks, wire not observed.</summary>
    [Benchmark]
    public Task Request_ProbeOff() => _probeOff.InvokeAsync(_context);

    /// <summary>Row 4 on the request thread: as above with every wire.* attribute (lookup answered from memory).</summary>
    [Benchmark]
    public Task Request_ProbeOn() => _probeOn.InvokeAsync(_context);

    /// <summary>The embedded sink formatting one probe-on access record as a JSON line (when it is offered).</summary>
    [Benchmark]
    public int JsonLine_Format()
    {
        _line.ResetWrittenCount();
        JsonLineFormatter.Write(_json, _line, _record.Log);
        return _line.WrittenCount;
    }

    /// <summary>The OTLP sink encoding one probe-on record's spans when it is offered (the batch's envelope is written once per batch).</summary>
    [Benchmark]
    public int Otlp_Span()
    {
        _proto.Reset();
        OtlpEncoder.Write(_proto, _record, TelemetrySignal.Traces);
        return _proto.Length;
    }

    /// <summary>The OTLP sink encoding one probe-on access record, full form, when it is offered.</summary>
    [Benchmark]
    public int Otlp_Log()
    {
        _proto.Reset();
        OtlpEncoder.Write(_proto, _record, TelemetrySignal.Logs);
        return _proto.Length;
    }

    /// <summary>The same access record in its core form (beside its exported span).</summary>
    [Benchmark]
    public int Otlp_Log_Core()
    {
        _proto.Reset();
        OtlpEncoder.Write(_proto, _record, TelemetrySignal.Logs, core: true);
        return _proto.Length;
    }

    /// <summary>A probe-on access record as the request path builds it (after <see cref="Setup"/>).</summary>
    internal TelemetryRecord Record => _record;

    /// <summary>
    /// Encodes each record's spans or log record when it is offered, as the OTLP sinks do on the
    /// request thread, and lets the batches go at once, as a fast collector would.
    /// </summary>
    private sealed class DiscardingSink(TelemetrySignal signal, TelemetryLoss loss)
        : EncodingSink("discard", signal, new BatchOptions(65536, 512, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(5)), loss)
    {
        public override int ItemsOf(TelemetryRecord record) => record.ItemsFor(Signal);

        // As the gateway's OTLP log sink beside its span sink (Telemetry:AccessRecord Auto): core access records.
        private readonly AccessRecordFormPolicy _form = AccessRecordFormPolicy.BesideSpans(AccessRecordForm.Auto);

        protected override void Append(EncodedBatch batch, TelemetryRecord record) =>
            OtlpEncoder.Write(batch.Writer, record, Signal, core: Signal == TelemetrySignal.Logs && _form.IsCore(record));

        protected override Task<ExportOutcome> ExportAsync(IReadOnlyList<EncodedBatch> batch, int items, CancellationToken cancellationToken) =>
            Task.FromResult(ExportOutcome.Delivered);
    }

    /// <summary>Keeps the first record it sees (never releases it: it is not recycled).</summary>
    private sealed class CapturingSink(TelemetryLoss loss)
        : RecordSink("capture", TelemetrySignal.Logs, new BatchOptions(16, 1, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(5)), loss)
    {
        public TaskCompletionSource<TelemetryRecord> First { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override int ItemsOf(TelemetryRecord record) => record.HasLog ? 1 : 0;

        protected override Task<ExportOutcome> ExportAsync(IReadOnlyList<TelemetryRecord> batch, int items, CancellationToken cancellationToken)
        {
            batch[0].Retain();
            First.TrySetResult(batch[0]);
            return Task.FromResult(ExportOutcome.Delivered);
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

using Gateway.Telemetry;
using Gateway.Telemetry.Otlp;
using Gateway.Telemetry.Records;

namespace Gateway.Benchmarks;

/// <summary>
/// <c>sizes</c>: the OTLP bytes of one synthetic request's record, the server span plus the access
/// record in its full and in its core form (DESIGN.md, "Log records"). Sizes, not times: the figure
/// does not depend on the machine or its load.
/// </summary>
/// <remarks>
/// The record is built by <c>RequestMiddleware</c> around a <c>next</c> that answers by itself
/// (<see cref="AccessRecordBenchmarks"/>), so YARP never forwards it: there is no client span, no
/// <c>wire.connection</c> record and no batch envelope. The bytes a real request costs on the wire,
/// all of these included, are measured on the running gateway by <c>bench/telemetry-bytes.sh</c>.
/// </remarks>
internal static class RecordSizes
{
    /// <summary>Prints the sizes of a probe-on request's record as the gateway builds it; returns 0.</summary>
    public static int Run()
    {
        var benchmarks = new AccessRecordBenchmarks();
        benchmarks.Setup();
        try
        {
            var record = benchmarks.Record;
            var spans = Encoded(record, TelemetrySignal.Traces, core: false);
            var full = Encoded(record, TelemetrySignal.Logs, core: false);
            var core = Encoded(record, TelemetrySignal.Logs, core: true);
            var attributes = record.Spans[0].Attributes.Count;
            var kinds = string.Join(" + ", record.Spans.Select(s => s.Kind.ToString().ToLowerInvariant()));
            Console.Out.WriteLine($"server span attributes:            {attributes}");
            var label = $"spans ({kinds}), bytes:";
            Console.Out.WriteLine($"{label.PadRight(35)}{spans}");
            Console.Out.WriteLine($"access record full, bytes:         {full}");
            Console.Out.WriteLine($"access record core, bytes:         {core}");
            Console.Out.WriteLine($"record, full access record:        {spans + full}");
            Console.Out.WriteLine($"record, core access record:        {spans + core} ({100.0 * (spans + core) / (spans + full):0}% of full)");
            Console.Out.WriteLine("(no client span, wire.connection record or batch envelope: bench/telemetry-bytes.sh measures a real request)");
            return 0;
        }
        finally
        {
            benchmarks.Cleanup();
        }
    }

    // The record's items in one export request of their own, as a sink's batch holds them (envelope excluded).
    private static int Encoded(TelemetryRecord record, TelemetrySignal signal, bool core)
    {
        var writer = new ProtoWriter();
        OtlpEncoder.Write(writer, record, signal, core);
        return writer.Length;
    }
}

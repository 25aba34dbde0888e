using Gateway.Telemetry;
using Gateway.Telemetry.Otlp;
using Gateway.Telemetry.Records;

namespace Gateway.Benchmarks;

/// <summary>
/// <c>sizes</c>: the OTLP bytes one request costs, spans plus access record, with the access record
/// in its full and in its core form (DESIGN.md, "Log records"). Sizes, not times: the figure does not
/// depend on the machine or its load.
/// </summary>
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
            Console.Out.WriteLine($"server span attributes:            {attributes}");
            Console.Out.WriteLine($"spans (server + client), bytes:    {spans}");
            Console.Out.WriteLine($"access record full, bytes:         {full}");
            Console.Out.WriteLine($"access record core, bytes:         {core}");
            Console.Out.WriteLine($"per request, full access record:   {spans + full}");
            Console.Out.WriteLine($"per request, core access record:   {spans + core} ({100.0 * (spans + core) / (spans + full):0}% of full)");
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

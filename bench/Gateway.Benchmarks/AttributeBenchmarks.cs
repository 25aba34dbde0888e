using BenchmarkDotNet.Attributes;
using Gateway.Correlation;
using Gateway.Telemetry;
using Gateway.Telemetry.Otlp;

namespace Gateway.Benchmarks;

/// <summary>The pieces of a record's attribute list the gateway builds per request, and writing it as OTLP.</summary>
public class AttributeBenchmarks
{
    private AttributeList _record = null!;
    private ConnectionTuple _tuple;
    private WireFacts _facts;
    private ProtoWriter _proto = null!;
    private AttributeList _strings = null!;

    [GlobalSetup]
    public void Setup()
    {
        _tuple = Requests.Downstream;
        _facts = Requests.Facts;
        _proto = new ProtoWriter();
        _strings = new AttributeList(16);
        for (var i = 0; i < StringAttributes; i++)
        {
            // Short ASCII names and values, as in the OpenTelemetry .NET SDK's serializer benchmark.
            _strings.Add($"attribute.key.{i}", $"attribute value {i}");
        }

        _record = BuildConnectionAndWire();
        for (var i = 0; i < 20; i++)
        {
            _record.Add($"http.request.header.x-{i}", new[] { "value" });
        }
    }

    /// <summary>5-tuple attributes (addresses formatted) and every wire.* attribute of an observed connection.</summary>
    [Benchmark]
    public object Connection_And_Wire() => BuildConnectionAndWire();

    private AttributeList BuildConnectionAndWire()
    {
        var attributes = new AttributeList();
        attributes.AddConnection(_tuple);
        attributes.AddWire(_facts);
        return attributes;
    }

    /// <summary><c>wire.observed=false</c> only: what the probe-off gateway adds.</summary>
    [Benchmark]
    public object Wire_NotObserved()
    {
        var attributes = new AttributeList();
        attributes.AddWire(null);
        return attributes;
    }

    /// <summary>Attributes in <see cref="Otlp_StringAttribute"/>'s list.</summary>
    public const int StringAttributes = 16;

    /// <summary>
    /// The OTLP encoding per attribute: a list of 16 string attributes written as <c>KeyValue</c>s, the
    /// time given per attribute (OperationsPerInvoke). Compare: the OpenTelemetry .NET SDK's own
    /// serializer benchmark, ~21 ns per attribute (16 in ~365 ns).
    /// </summary>
    [Benchmark(OperationsPerInvoke = StringAttributes)]
    public int Otlp_StringAttribute()
    {
        _proto.Reset();
        OtlpEncoder.WriteRun(_proto, (9 << 3) | ProtoWriter.Delimited, _strings.Items);
        return _proto.Length;
    }

    /// <summary>A 37-attribute list written as OTLP <c>KeyValue</c>s (pre-encoded names).</summary>
    [Benchmark]
    public int Otlp_Attributes()
    {
        // The encoder's own path for a list it has not encoded before (span attributes: field 9).
        _proto.Reset();
        OtlpEncoder.WriteRun(_proto, (9 << 3) | ProtoWriter.Delimited, _record.Items);
        return _proto.Length;
    }
}

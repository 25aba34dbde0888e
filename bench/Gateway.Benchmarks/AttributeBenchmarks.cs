using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Gateway.Correlation;
using Gateway.Telemetry;

namespace Gateway.Benchmarks;

/// <summary>The pieces of a record's attribute list the gateway builds per request, and copying it onto a span.</summary>
public class AttributeBenchmarks
{
    private AttributeList _record = null!;
    private ConnectionTuple _tuple;
    private WireFacts _facts = null!;

    [GlobalSetup]
    public void Setup()
    {
        _tuple = Requests.Downstream;
        _facts = Requests.Facts;
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

    /// <summary>A 37-attribute record copied onto a span (one SetTag each), the span started and stopped.</summary>
    [Benchmark]
    public void CopyTo_Span()
    {
        using var activity = new Activity("GET").Start();
        _record.CopyTo(activity);
    }
}

using BenchmarkDotNet.Attributes;
using Gateway.Configuration;
using Gateway.HeaderCapture;
using Gateway.Telemetry;
using Microsoft.AspNetCore.Http;

namespace Gateway.Benchmarks;

/// <summary>Header capture with policy (allowlist or all, redaction, length limit): once per request, once per response.</summary>
public class HeaderCaptureBenchmarks
{
    private HeaderCapturePolicy _all = null!;
    private HeaderCapturePolicy _allowlist = null!;
    private HeaderDictionary _request = null!;
    private HeaderDictionary _response = null!;

    [GlobalSetup]
    public void Setup()
    {
        _all = new HeaderCapturePolicy(new HeaderLoggingSettings());
        _allowlist = new HeaderCapturePolicy(new HeaderLoggingSettings
        {
            Request = new() { Mode = HeaderLoggingMode.Allowlist, Allowlist = ["user-agent", "x-request-id", "authorization", "content-type"] },
        });
        _request = Requests.RequestHeaders();
        _response = new HeaderDictionary();
        Requests.SetResponseHeaders(_response);
    }

    /// <summary>Five request headers, mode All, one redacted (the gateway's default policy).</summary>
    [Benchmark]
    public object CaptureRequest_All()
    {
        var attributes = new AttributeList();
        _all.CaptureRequest(_request, attributes);
        return attributes;
    }

    /// <summary>Four response headers, mode All.</summary>
    [Benchmark]
    public object CaptureResponse_All()
    {
        var attributes = new AttributeList();
        _all.CaptureResponse(_response, attributes);
        return attributes;
    }

    /// <summary>Five request headers, three of them allowlisted, one redacted.</summary>
    [Benchmark]
    public object CaptureRequest_Allowlist()
    {
        var attributes = new AttributeList();
        _allowlist.CaptureRequest(_request, attributes);
        return attributes;
    }
}

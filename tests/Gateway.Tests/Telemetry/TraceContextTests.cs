using Gateway.Telemetry;
using Gateway.Telemetry.Records;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.Telemetry;

/// <summary>W3C Trace Context as the gateway reads and writes it.</summary>
public sealed class TraceContextTests
{
    [Theory]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", 1)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00", "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", 0)]
    [InlineData("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-09-what-comes-later", "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", 9)]
    public void TryParse_Valid_ReadsTraceParentAndFlags(string header, string traceId, string parent, int flags)
    {
        Assert.True(TraceContext.TryParse(header, out var id, out var parentId, out var parsedFlags));
        Assert.Equal(traceId, id.ToHex());
        Assert.Equal(parent, SpanIds.ToHex(parentId));
        Assert.Equal(flags, parsedFlags);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331")]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01")] // all-zero trace id
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01")] // all-zero parent
    [InlineData("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")] // version ff
    [InlineData("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01")] // upper case
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra")] // version 00 has four fields
    [InlineData("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x")] // a later version needs a dash after the flags
    [InlineData("00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01")]
    [InlineData("00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0\u0661")]
    public void TryParse_Invalid_IsRefused(string? header) =>
        Assert.False(TraceContext.TryParse(header, out _, out _, out _));

    [Fact]
    public void TryContinue_ValidParent_SetsTheSpansTraceParentAndState()
    {
        var headers = new HeaderDictionary
        {
            ["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            ["tracestate"] = "vendor=abc",
        };
        var span = new SpanData();

        Assert.True(TraceContext.TryContinue(headers, span));

        Assert.Equal("0af7651916cd43dd8448eb211c80319c", span.TraceId.ToHex());
        Assert.Equal("b7ad6b7169203331", SpanIds.ToHex(span.ParentSpanId));
        Assert.True(span.ParentIsRemote);
        Assert.Equal("vendor=abc", span.TraceState);
    }

    [Fact]
    public void TryContinue_TwoTraceParents_IsIgnored()
    {
        var headers = new HeaderDictionary
        {
            ["traceparent"] = new(["00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "00-1af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"]),
        };

        Assert.False(TraceContext.TryContinue(headers, new SpanData()));
    }

    [Fact]
    public void Format_Span_IsTheTraceParentOfThatSpanAndParsesBack()
    {
        var span = new SpanData { TraceId = TraceId.NewRandom(), SpanId = SpanIds.NewRandom(), TraceFlags = 1 };

        var header = TraceContext.Format(span);

        Assert.Equal($"00-{span.TraceId.ToHex()}-{SpanIds.ToHex(span.SpanId)}-01", header);
        Assert.True(TraceContext.TryParse(header, out var id, out var parent, out var flags));
        Assert.Equal((span.TraceId, span.SpanId, (byte)1), (id, parent, flags));
    }
}

using Gateway.Configuration;
using Gateway.HeaderCapture;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Gateway.Tests.HeaderCapture;

public sealed class HeaderCapturePolicyTests
{
    private static Dictionary<string, object?> CaptureRequest(HeaderLoggingSettings settings, IHeaderDictionary headers)
    {
        var attributes = new List<KeyValuePair<string, object?>>();
        new HeaderCapturePolicy(settings).CaptureRequest(headers, attributes);
        return attributes.ToDictionary(a => a.Key, a => a.Value);
    }

    [Fact]
    public void CaptureRequest_AllMode_NamesAreLowerCaseAndValuesAreArraysOnePerValue()
    {
        var headers = new HeaderDictionary { ["X-Request-ID"] = new StringValues(["a", "b"]), ["Accept"] = "text/html" };

        var captured = CaptureRequest(new HeaderLoggingSettings(), headers);

        Assert.Equal(new[] { "a", "b" }, captured["http.request.header.x-request-id"]);
        Assert.Equal(new[] { "text/html" }, captured["http.request.header.accept"]);
    }

    [Fact]
    public void CaptureResponse_AnyHeader_UsesResponsePrefix()
    {
        var attributes = new List<KeyValuePair<string, object?>>();

        new HeaderCapturePolicy(new HeaderLoggingSettings()).CaptureResponse(new HeaderDictionary { ["Server"] = "k" }, attributes);

        Assert.Equal("http.response.header.server", Assert.Single(attributes).Key);
    }

    [Theory]
    [InlineData("Authorization")]
    [InlineData("proxy-authorization")]
    [InlineData("Cookie")]
    [InlineData("SET-COOKIE")]
    [InlineData("x-api-key")]
    public void CaptureRequest_DefaultRedactList_ReplacesEveryValueWithRedacted(string name)
    {
        var headers = new HeaderDictionary { [name] = new StringValues(["secret1", "secret2"]) };

        var captured = CaptureRequest(new HeaderLoggingSettings(), headers);

        Assert.Equal(new[] { "[REDACTED]", "[REDACTED]" }, captured["http.request.header." + name.ToLowerInvariant()]);
    }

    [Fact]
    public void CaptureRequest_ConfiguredRedactList_ReplacesTheDefaults()
    {
        var settings = new HeaderLoggingSettings { Redact = ["x-secret"] };
        var headers = new HeaderDictionary { ["X-Secret"] = "s", ["Authorization"] = "Basic x" };

        var captured = CaptureRequest(settings, headers);

        Assert.Equal(new[] { "[REDACTED]" }, captured["http.request.header.x-secret"]);
        Assert.Equal(new[] { "Basic x" }, captured["http.request.header.authorization"]);
    }

    [Fact]
    public void CaptureRequest_AllowlistMode_CapturesOnlyListedHeadersCaseInsensitively()
    {
        var settings = new HeaderLoggingSettings { Mode = HeaderLoggingMode.Allowlist, Allowlist = ["user-agent", "AUTHORIZATION"] };
        var headers = new HeaderDictionary { ["User-Agent"] = "curl", ["Accept"] = "*/*", ["Authorization"] = "Bearer t" };

        var captured = CaptureRequest(settings, headers);

        Assert.Equal(["http.request.header.authorization", "http.request.header.user-agent"], captured.Keys.Order());
        Assert.Equal(new[] { "[REDACTED]" }, captured["http.request.header.authorization"]);
    }

    [Fact]
    public void CaptureRequest_ValueOverMaxValueLength_IsCutAndMarked()
    {
        var settings = new HeaderLoggingSettings { MaxValueLength = 5 };

        var captured = CaptureRequest(settings, new HeaderDictionary { ["X-Long"] = "abcdefghij", ["X-Short"] = "abcde" });

        Assert.Equal(new[] { "abcde…[truncated]" }, captured["http.request.header.x-long"]);
        Assert.Equal(new[] { "abcde" }, captured["http.request.header.x-short"]);
    }

    [Fact]
    public void Limit_CutInsideSurrogatePair_NeverLeavesHalfAPair()
    {
        var policy = new HeaderCapturePolicy(new HeaderLoggingSettings { MaxValueLength = 3 });

        var limited = policy.Limit("ab🎉cd");

        Assert.Equal("ab…[truncated]", limited);
    }

    [Fact]
    public void CaptureRequest_MoreHeadersThanMaxHeaders_KeepsTheFirstAndCountsTheRest()
    {
        var settings = new HeaderLoggingSettings { MaxHeaders = 2 };
        var headers = new HeaderDictionary { ["A"] = "1", ["B"] = "2", ["C"] = "3", ["D"] = "4" };

        var captured = CaptureRequest(settings, headers);

        Assert.Equal(2, captured.Keys.Count(k => k.StartsWith("http.request.header.", StringComparison.Ordinal)));
        Assert.Equal(2L, captured["gateway.request.headers_dropped"]);
    }

    [Fact]
    public void CaptureRequest_WithinMaxHeaders_AddsNoDroppedCount()
    {
        var captured = CaptureRequest(new HeaderLoggingSettings { MaxHeaders = 2 }, new HeaderDictionary { ["A"] = "1" });

        Assert.DoesNotContain("gateway.request.headers_dropped", captured.Keys);
    }
}

using Gateway.Configuration;
using Gateway.HeaderCapture;
using Gateway.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Gateway.Tests.HeaderCapture;

public sealed class HeaderCapturePolicyTests
{
    private static Dictionary<string, object?> CaptureRequest(HeaderLoggingSettings settings, IHeaderDictionary headers, RouteOverrides? overrides = null)
    {
        var attributes = new AttributeList();
        new HeaderCapturePolicy(settings, overrides ?? RouteOverrides.None).CaptureRequest(headers, attributes);
        return attributes.ToDictionary(a => a.Key, a => a.Value);
    }

    private static Dictionary<string, object?> CaptureResponse(HeaderLoggingSettings settings, IHeaderDictionary headers)
    {
        var attributes = new AttributeList();
        new HeaderCapturePolicy(settings).CaptureResponse(headers, attributes);
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
        var captured = CaptureResponse(new HeaderLoggingSettings(), new HeaderDictionary { ["Server"] = "k" });

        Assert.Equal("http.response.header.server", Assert.Single(captured).Key);
    }

    [Fact]
    public void CaptureRequest_NamesSharingALookupSlotAndFreshInstances_EachKeepsItsOwnNameAndRedaction()
    {
        // "X-Alpha" and "X-Bravo" have the same length and first character, so they share a slot
        // of the by-instance lookup; a copy of "X-Alpha" is the same name in another instance.
        var policy = new HeaderCapturePolicy(new HeaderLoggingSettings { Redact = ["x-bravo"] });
        var alpha = "X-Alpha";
        var copy = new string(alpha.AsSpan());
        Dictionary<string, object?> Capture(string name)
        {
            var attributes = new AttributeList();
            policy.CaptureRequest(new HeaderDictionary { [name] = "v" }, attributes);
            return attributes.ToDictionary(a => a.Key, a => a.Value);
        }

        foreach (var name in new[] { alpha, alpha, "X-Bravo", alpha, copy, "X-Bravo", copy, alpha })
        {
            var captured = Assert.Single(Capture(name));
            var bravo = name == "X-Bravo";
            Assert.Equal(bravo ? "http.request.header.x-bravo" : "http.request.header.x-alpha", captured.Key);
            Assert.Equal(new[] { bravo ? "[REDACTED]" : "v" }, captured.Value);
        }
    }

    [Theory]
    [InlineData("Authorization")]
    [InlineData("proxy-authorization")]
    [InlineData("Cookie")]
    [InlineData("SET-COOKIE")]
    [InlineData("x-api-key")]
    [InlineData("X-Upstream-Token")]
    [InlineData("x-client-secret")]
    [InlineData("X-Session-Id")]
    public void CaptureRequest_DefaultRedaction_ReplacesEveryValueWithRedacted(string name)
    {
        var headers = new HeaderDictionary { [name] = new StringValues(["secret1", "secret2"]) };

        var captured = CaptureRequest(new HeaderLoggingSettings(), headers);

        Assert.Equal(new[] { "[REDACTED]", "[REDACTED]" }, captured["http.request.header." + name.ToLowerInvariant()]);
    }

    [Fact]
    public void CaptureRequest_ConfiguredRedactList_AddsToTheDefaults()
    {
        var settings = new HeaderLoggingSettings { Redact = ["x-internal"] };
        var headers = new HeaderDictionary { ["X-Internal"] = "s", ["Authorization"] = "Basic x", ["Accept"] = "a" };

        var captured = CaptureRequest(settings, headers);

        Assert.Equal(new[] { "[REDACTED]" }, captured["http.request.header.x-internal"]);
        Assert.Equal(new[] { "[REDACTED]" }, captured["http.request.header.authorization"]);
        Assert.Equal(new[] { "a" }, captured["http.request.header.accept"]);
    }

    [Fact]
    public void CaptureRequest_UnredactNamesADefault_ThatHeaderIsLoggedInClearOthersStayRedacted()
    {
        var settings = new HeaderLoggingSettings { Unredact = ["x-session-id"] };
        var headers = new HeaderDictionary { ["X-Session-Id"] = "abc", ["Cookie"] = "c=1" };

        var captured = CaptureRequest(settings, headers);

        Assert.Equal(new[] { "abc" }, captured["http.request.header.x-session-id"]);
        Assert.Equal(new[] { "[REDACTED]" }, captured["http.request.header.cookie"]);
    }

    [Fact]
    public void CaptureRequest_RouteAddsRedactionThatGlobalUnredacts_RouteWins()
    {
        var settings = new HeaderLoggingSettings { Unredact = ["x-session-id"] };
        var overrides = new RouteOverrides { Redact = ["x-session-id"] };

        var captured = CaptureRequest(settings, new HeaderDictionary { ["X-Session-Id"] = "abc" }, overrides);

        Assert.Equal(new[] { "[REDACTED]" }, captured["http.request.header.x-session-id"]);
    }

    [Fact]
    public void CaptureRequest_AllowlistMode_CapturesOnlyListedHeadersCaseInsensitivelyAndStillRedacts()
    {
        var settings = new HeaderLoggingSettings { Request = new() { Mode = HeaderLoggingMode.Allowlist, Allowlist = ["user-agent", "AUTHORIZATION"] } };
        var headers = new HeaderDictionary { ["User-Agent"] = "curl", ["Accept"] = "*/*", ["Authorization"] = "Bearer t" };

        var captured = CaptureRequest(settings, headers);

        Assert.Equal(["http.request.header.authorization", "http.request.header.user-agent"], captured.Keys.Order());
        Assert.Equal(new[] { "[REDACTED]" }, captured["http.request.header.authorization"]);
    }

    [Fact]
    public void Capture_RequestAllowlistResponseAll_DirectionsAreIndependent()
    {
        var settings = new HeaderLoggingSettings { Request = new() { Mode = HeaderLoggingMode.Allowlist, Allowlist = ["x-a"] } };
        var headers = new HeaderDictionary { ["X-A"] = "1", ["X-B"] = "2" };

        Assert.Equal(["http.request.header.x-a"], CaptureRequest(settings, headers).Keys);
        Assert.Equal(["http.response.header.x-a", "http.response.header.x-b"], CaptureResponse(settings, headers).Keys.Order());
    }

    [Fact]
    public void CaptureResponse_NoneMode_CapturesNothing()
    {
        var settings = new HeaderLoggingSettings { Response = new() { Mode = HeaderLoggingMode.None } };

        Assert.Empty(CaptureResponse(settings, new HeaderDictionary { ["Server"] = "k" }));
    }

    [Fact]
    public void CaptureRequest_RouteOverridesMode_RouteAllowlistApplies()
    {
        var overrides = RouteOverrides.Parse(new Dictionary<string, string>
        {
            [RouteOverrides.RequestModeKey] = "Allowlist",
            [RouteOverrides.RequestAllowlistKey] = "x-a, x-c",
        });

        var captured = CaptureRequest(new HeaderLoggingSettings(), new HeaderDictionary { ["X-A"] = "1", ["X-B"] = "2", ["X-C"] = "3" }, overrides);

        Assert.Equal(["http.request.header.x-a", "http.request.header.x-c"], captured.Keys.Order());
    }

    [Fact]
    public void CaptureRequest_ValueOverMaxValueBytes_IsCutAndMarked()
    {
        var settings = new HeaderLoggingSettings { MaxValueBytes = 5 };

        var captured = CaptureRequest(settings, new HeaderDictionary { ["X-Long"] = "abcdefghij", ["X-Short"] = "abcde" });

        Assert.Equal(new[] { "abcde…[truncated]" }, captured["http.request.header.x-long"]);
        Assert.Equal(new[] { "abcde" }, captured["http.request.header.x-short"]);
    }

    [Theory]
    [InlineData("ab🎉cd", 5, "ab…[truncated]")]
    [InlineData("ab🎉cd", 6, "ab🎉…[truncated]")]
    [InlineData("ééé", 5, "éé…[truncated]")]
    [InlineData("ééé", 6, "ééé")]
    public void Limit_MultiByteCharacters_CountsUtf8BytesAndNeverSplitsACharacter(string value, int maxBytes, string expected)
    {
        var policy = new HeaderCapturePolicy(new HeaderLoggingSettings { MaxValueBytes = maxBytes });

        Assert.Equal(expected, policy.Limit(value));
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
    public void CaptureRequest_WithinLimits_AddsNoDroppedCount()
    {
        var captured = CaptureRequest(new HeaderLoggingSettings { MaxHeaders = 2 }, new HeaderDictionary { ["A"] = "1" });

        Assert.DoesNotContain("gateway.request.headers_dropped", captured.Keys);
    }

    [Fact]
    public void CaptureRequest_OverMaxTotalBytes_StopsAtTheFirstHeaderThatDoesNotFitAndCountsTheRest()
    {
        // "x-a" + 10 bytes = 13 per header; 30 bytes hold two.
        var settings = new HeaderLoggingSettings { MaxTotalBytes = 30 };
        var headers = new HeaderDictionary { ["X-A"] = "0123456789", ["X-B"] = "0123456789", ["X-C"] = "0123456789", ["X-D"] = "1" };

        var captured = CaptureRequest(settings, headers);

        Assert.Equal(["http.request.header.x-a", "http.request.header.x-b"], captured.Keys.Where(k => k.StartsWith("http.", StringComparison.Ordinal)).Order());
        Assert.Equal(2L, captured["gateway.request.headers_dropped"]);
    }

    [Fact]
    public void CaptureRequest_ThousandsOfDuplicateValues_HeaderOverBudgetIsDroppedAndCounted()
    {
        var settings = new HeaderLoggingSettings { MaxTotalBytes = 1000 };
        var headers = new HeaderDictionary { ["X-Dup"] = new StringValues([.. Enumerable.Repeat("value", 5000)]) };

        var captured = CaptureRequest(settings, headers);

        Assert.DoesNotContain("http.request.header.x-dup", captured.Keys);
        Assert.Equal(1L, captured["gateway.request.headers_dropped"]);
    }

    [Fact]
    public void AddHeaderOrder_MoreNamesThanMaxHeaders_KeepsTheFirstLowerCasedAndCountsTheRest()
    {
        var policy = new HeaderCapturePolicy(new HeaderLoggingSettings { MaxHeaders = 3 });
        var attributes = new AttributeList();

        policy.AddHeaderOrder(["Host", "X-Zed", "user-agent", "Accept", "X-ABC"], attributes);

        var values = attributes.ToDictionary(a => a.Key, a => a.Value);
        Assert.Equal(new[] { "host", "x-zed", "user-agent" }, values["gateway.request.header_order"]);
        Assert.Equal(2L, values["gateway.request.header_order_dropped"]);
    }

    [Fact]
    public void AddHeaderOrder_Disabled_AddsNothing()
    {
        var policy = new HeaderCapturePolicy(new HeaderLoggingSettings { HeaderOrder = false });
        var attributes = new AttributeList();

        policy.AddHeaderOrder(["Host"], attributes);

        Assert.Empty(attributes);
    }

    [Theory]
    [InlineData("a=1&token=s3cret&b=2", "a=1&token=[REDACTED]&b=2")]
    [InlineData("access_token=s3cret", "access_token=[REDACTED]")]
    [InlineData("API_KEY=s3cret&key=s3cret", "API_KEY=[REDACTED]&key=[REDACTED]")]
    [InlineData("%74oken=s3cret", "%74oken=[REDACTED]")]
    [InlineData("client+secret=s3cret", "client+secret=[REDACTED]")]
    [InlineData("a=1;password=s3cret", "a=1;password=[REDACTED]")]
    [InlineData("x-amz-signature=s3cret&page=2", "x-amz-signature=[REDACTED]&page=2")]
    [InlineData("token", "token")]
    [InlineData("", "")]
    public void RedactQuery_DefaultNames_ValuesReplacedNamesKept(string query, string expected)
    {
        var policy = new HeaderCapturePolicy(new HeaderLoggingSettings());

        Assert.Equal(expected, policy.RedactQuery(query));
    }

    [Fact]
    public void RedactQuery_NothingToRedact_ReturnsTheSameString()
    {
        var policy = new HeaderCapturePolicy(new HeaderLoggingSettings());
        var query = "page=2&sort=asc";

        Assert.Same(query, policy.RedactQuery(query));
    }

    [Fact]
    public void RedactQuery_ConfiguredAndRouteNames_AreRedacted()
    {
        var policy = new HeaderCapturePolicy(new HeaderLoggingSettings { RedactQuery = ["email"] }, new RouteOverrides { RedactQuery = ["phone"] });

        Assert.Equal("email=[REDACTED]&phone=[REDACTED]&q=1", policy.RedactQuery("email=a@b&phone=123&q=1"));
    }
}

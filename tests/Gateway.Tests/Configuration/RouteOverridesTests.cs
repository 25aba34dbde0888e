using Gateway.Configuration;

namespace Gateway.Tests.Configuration;

public sealed class RouteOverridesTests
{
    [Fact]
    public void Parse_EveryKey_IsRead()
    {
        var overrides = RouteOverrides.Parse(new Dictionary<string, string>
        {
            ["headerlogging.request.mode"] = "allowlist",
            [RouteOverrides.RequestAllowlistKey] = "x-a, x-b",
            [RouteOverrides.ResponseModeKey] = "None",
            [RouteOverrides.RedactKey] = "x-tenant",
            [RouteOverrides.RedactQueryKey] = "email",
            [RouteOverrides.MaxValueBytesKey] = "64",
            [RouteOverrides.MaxHeadersKey] = "8",
            [RouteOverrides.MaxTotalBytesKey] = "512",
            [RouteOverrides.SamplingRatioKey] = "0.5",
            ["Unrelated"] = "ignored",
        });

        Assert.Equal(HeaderLoggingMode.Allowlist, overrides.RequestMode);
        Assert.Equal(["x-a", "x-b"], overrides.RequestAllowlist);
        Assert.Equal(HeaderLoggingMode.None, overrides.ResponseMode);
        Assert.Equal(["x-tenant"], overrides.Redact);
        Assert.Equal(["email"], overrides.RedactQuery);
        Assert.Equal(64, overrides.MaxValueBytes);
        Assert.Equal(8, overrides.MaxHeaders);
        Assert.Equal(512, overrides.MaxTotalBytes);
        Assert.Equal(0.5, overrides.SamplingRatio);
    }

    [Fact]
    public void Parse_NoGatewayKey_IsNone()
    {
        Assert.True(RouteOverrides.Parse(new Dictionary<string, string> { ["team"] = "payments" }).IsEmpty);
    }

    [Fact]
    public void Parse_BadValues_ReportedAndIgnored()
    {
        var errors = new List<string>();

        var overrides = RouteOverrides.Parse(
            new Dictionary<string, string> { [RouteOverrides.MaxHeadersKey] = "lots", [RouteOverrides.RequestAllowlistKey] = "x a" },
            (key, problem, _) => errors.Add($"{key}: {problem}"));

        Assert.Equal(2, errors.Count);
        Assert.Null(overrides.MaxHeaders);
        Assert.Null(overrides.RequestAllowlist);
    }
}

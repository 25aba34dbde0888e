using Gateway.Hosting;
using Gateway.Tests.Support;

namespace Gateway.Tests.Configuration;

/// <summary>Validation as the gateway runs it at start: through <see cref="GatewayHost.Create"/>.</summary>
public sealed class ConfigValidatorTests
{
    private const string Proxy = """
        "ReverseProxy": {
          "Routes": { "r": { "ClusterId": "c", "Match": { "Path": "{**catch-all}" } } },
          "Clusters": { "c": { "Destinations": { "d": { "Address": "http://127.0.0.1:1/" } } } }
        }
        """;

    private static GatewayStartupException Refused(string json, params string[] extraArgs)
    {
        using var config = new TestConfig(json);
        var e = Assert.Throws<GatewayStartupException>(() => GatewayHost.Create(["--config", config.ConfigPath, .. extraArgs]));
        Assert.All(e.Errors, error => Assert.Contains(config.ConfigPath, error, StringComparison.Ordinal));
        return e;
    }

    private static string ErrorFor(GatewayStartupException e, string settingPath) =>
        Assert.Single(e.Errors, error => error.Contains($": {settingPath}: ", StringComparison.Ordinal));

    [Fact]
    public void Create_BadModesAndNegativeSizes_ReportsEverySettingAtOnce()
    {
        var e = Refused($$"""
            {
              {{Proxy}},
              "HeaderLogging": { "Mode": "Sometimes", "MaxValueLength": -1, "MaxHeaders": -5 },
              "KernelProbe": { "Mode": "Maybe", "FlowTableSize": -1 },
              "Telemetry": { "JsonLines": { "Path": "%JSONL%" }, "Console": "yes" }
            }
            """);

        Assert.Equal(6, e.Errors.Count);
        Assert.Contains("\"All\", \"Allowlist\"", ErrorFor(e, "HeaderLogging:Mode"), StringComparison.Ordinal);
        Assert.Contains("-1 is out of range; use a number from 1", ErrorFor(e, "HeaderLogging:MaxValueLength"), StringComparison.Ordinal);
        Assert.Contains("-5 is out of range; use a number from 0", ErrorFor(e, "HeaderLogging:MaxHeaders"), StringComparison.Ordinal);
        Assert.Contains("\"Auto\", \"On\", \"Off\"", ErrorFor(e, "KernelProbe:Mode"), StringComparison.Ordinal);
        Assert.Contains("out of range", ErrorFor(e, "KernelProbe:FlowTableSize"), StringComparison.Ordinal);
        Assert.Contains("use true or false", ErrorFor(e, "Telemetry:Console"), StringComparison.Ordinal);
    }

    [Fact]
    public void Create_AllowlistModeWithEmptyList_SaysNothingWouldBeCaptured()
    {
        var e = Refused($$"""{ {{Proxy}}, "HeaderLogging": { "Mode": "Allowlist" } }""");

        Assert.Contains("no header would be captured", ErrorFor(e, "HeaderLogging:Allowlist"), StringComparison.Ordinal);
    }

    [Fact]
    public void Create_MisspelledSetting_IsReportedWithTheKnownNames()
    {
        var e = Refused($$"""{ {{Proxy}}, "HeaderLogging": { "MaxValueLenght": 10 } }""");

        Assert.Contains("HeaderLogging:MaxValueLength", ErrorFor(e, "HeaderLogging:MaxValueLenght"), StringComparison.Ordinal);
    }

    [Fact]
    public void Create_InvalidHeaderNameAndInterface_NameTheListEntry()
    {
        var e = Refused($$"""{ {{Proxy}}, "HeaderLogging": { "Redact": [ "x y" ] }, "KernelProbe": { "Interfaces": [ "a/very/long/interface" ] } }""");

        Assert.Contains("not a header name", ErrorFor(e, "HeaderLogging:Redact:0"), StringComparison.Ordinal);
        Assert.Contains("not a network interface name", ErrorFor(e, "KernelProbe:Interfaces:0"), StringComparison.Ordinal);
    }

    [Fact]
    public void Create_NoRoutes_IsRefused()
    {
        var e = Refused("""{ "HeaderLogging": { "Mode": "All" } }""");

        Assert.Contains("no route is defined", ErrorFor(e, "ReverseProxy:Routes"), StringComparison.Ordinal);
    }

    [Fact]
    public void Create_BadValueFromCommandLine_NamesTheCommandLine()
    {
        using var config = new TestConfig($$"""{ {{Proxy}} }""");

        var e = Assert.Throws<GatewayStartupException>(() =>
            GatewayHost.Create(["--config", config.ConfigPath, "--HeaderLogging:MaxHeaders=-3"]));

        var error = Assert.Single(e.Errors);
        Assert.StartsWith("command line --HeaderLogging:MaxHeaders: HeaderLogging:MaxHeaders: -3 is out of range", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_YarpRejectsTheRoute_ReportsYarpsMessageWithTheFile()
    {
        var e = Refused("""
            {
              "ReverseProxy": {
                "Routes": { "r": { "ClusterId": "c", "Match": { "Methods": [ "GET" ] } } },
                "Clusters": { "c": { "LoadBalancingPolicy": "NoSuchPolicy", "Destinations": { "d": { "Address": "http://127.0.0.1:1/" } } } }
              },
              "Telemetry": { "JsonLines": { "Path": "%JSONL%" } }
            }
            """);

        Assert.Contains(e.Errors, error => error.Contains("ReverseProxy: ", StringComparison.Ordinal) && error.Contains("'r'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Create_ValidConfiguration_IsAccepted()
    {
        using var config = new TestConfig($$"""{ {{Proxy}}, "Telemetry": { "JsonLines": { "Path": "%JSONL%" }, "Console": false } }""");

        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath]);

        Assert.NotNull(gateway);
    }
}

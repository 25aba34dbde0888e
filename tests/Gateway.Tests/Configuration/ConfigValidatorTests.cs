using Gateway.Correlation;
using Gateway.Hosting;
using Gateway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

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
              "HeaderLogging": { "Request": { "Mode": "Sometimes" }, "MaxValueBytes": -1, "MaxHeaders": -5 },
              "KernelProbe": { "Mode": "Maybe", "FlowTableSize": -1, "Ja4t": "sometimes" },
              "Telemetry": { "JsonLines": { "Path": "%JSONL%" }, "Console": "yes" }
            }
            """);

        Assert.Equal(7, e.Errors.Count);
        Assert.Contains("\"All\", \"Allowlist\", \"None\"", ErrorFor(e, "HeaderLogging:Request:Mode"), StringComparison.Ordinal);
        Assert.Contains("-1 is out of range; use a number from 1", ErrorFor(e, "HeaderLogging:MaxValueBytes"), StringComparison.Ordinal);
        Assert.Contains("-5 is out of range; use a number from 0", ErrorFor(e, "HeaderLogging:MaxHeaders"), StringComparison.Ordinal);
        Assert.Contains("\"Auto\", \"On\", \"Off\"", ErrorFor(e, "KernelProbe:Mode"), StringComparison.Ordinal);
        Assert.Contains("out of range", ErrorFor(e, "KernelProbe:FlowTableSize"), StringComparison.Ordinal);
        Assert.Contains("not a boolean", ErrorFor(e, "KernelProbe:Ja4t"), StringComparison.Ordinal);
        Assert.Contains("use true or false", ErrorFor(e, "Telemetry:Console"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"MaxBytes\": \"lots\"", "Telemetry:JsonLines:MaxBytes", "\"lots\" is not a whole number; use a number of bytes from 4096 to 1099511627776")]
    [InlineData("\"MaxBytes\": 100", "Telemetry:JsonLines:MaxBytes", "100 is out of range; use a number of bytes from 4096")]
    [InlineData("\"MaxBytes\": 1099511627777", "Telemetry:JsonLines:MaxBytes", "out of range")]
    [InlineData("\"MaxBytes\": 65536, \"MaxFiles\": 0", "Telemetry:JsonLines:MaxFiles", "0 is out of range; use a number from 1 to 1000")]
    [InlineData("\"MaxBytes\": 65536, \"MaxFiles\": \"many\"", "Telemetry:JsonLines:MaxFiles", "is not a whole number")]
    [InlineData("\"MaxFiles\": 3", "Telemetry:JsonLines:MaxFiles", "set MaxBytes too")]
    public void Create_BadJsonLinesRotation_IsRefusedNamingTheSetting(string rotation, string setting, string message)
    {
        var e = Refused($$"""{ {{Proxy}}, "Telemetry": { "JsonLines": { "Path": "%JSONL%", {{rotation}} }, "Console": false } }""");

        Assert.Contains(message, ErrorFor(e, setting), StringComparison.Ordinal);
    }

    [Fact]
    public void Create_AllowlistModeWithEmptyList_SaysNothingWouldBeCaptured()
    {
        var e = Refused($$"""{ {{Proxy}}, "HeaderLogging": { "Response": { "Mode": "Allowlist" } } }""");

        Assert.Contains("no header would be captured", ErrorFor(e, "HeaderLogging:Response:Allowlist"), StringComparison.Ordinal);
    }

    [Fact]
    public void Create_MisspelledSetting_IsReportedWithTheKnownNames()
    {
        var e = Refused($$"""{ {{Proxy}}, "HeaderLogging": { "MaxValueBytse": 10 } }""");

        Assert.Contains("HeaderLogging:MaxValueBytes", ErrorFor(e, "HeaderLogging:MaxValueBytse"), StringComparison.Ordinal);
    }

    [Fact]
    public void Create_InvalidHeaderNameAndInterface_NameTheListEntry()
    {
        var e = Refused($$"""{ {{Proxy}}, "HeaderLogging": { "Redact": [ "x y" ] }, "KernelProbe": { "Interfaces": [ "a/very/long/interface" ] } }""");

        Assert.Contains("not a valid name", ErrorFor(e, "HeaderLogging:Redact:0"), StringComparison.Ordinal);
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
    public void Create_RefusedAfterTheWireViewStarted_DisposesIt()
    {
        // YARP refuses the route only once the services exist, after the wire view (with the
        // probe on: its programs attached to the interfaces) has started.
        using var config = new TestConfig("""
            {
              "ReverseProxy": {
                "Routes": { "r": { "ClusterId": "c", "Match": { "Methods": [ "GET" ] } } },
                "Clusters": { "c": { "LoadBalancingPolicy": "NoSuchPolicy", "Destinations": { "d": { "Address": "http://127.0.0.1:1/" } } } }
              },
              "Telemetry": { "JsonLines": { "Path": "%JSONL%" }, "Console": false }
            }
            """);
        var view = new RecordingWireView(new WireFacts());

        Assert.Throws<GatewayStartupException>(() => GatewayHost.Create(["--config", config.ConfigPath],
            services => services.AddSingleton<IWireView>(_ => view)));

        Assert.True(view.Disposed, "a refused start left the wire view running");
    }

    [Fact]
    public async Task Create_ValidConfiguration_IsAccepted()
    {
        using var config = new TestConfig($$"""{ {{Proxy}}, "Telemetry": { "JsonLines": { "Path": "%JSONL%" }, "Console": false } }""");

        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath]);

        Assert.NotNull(gateway);
    }

    [Fact]
    public void Create_SettingsOfTheEarlierSchema_SayWhereTheyMoved()
    {
        var e = Refused($$"""{ {{Proxy}}, "HeaderLogging": { "Mode": "All", "Allowlist": [ "a" ], "MaxValueLength": 10 } }""");

        Assert.Equal(3, e.Errors.Count);
        Assert.Contains("HeaderLogging:Request:Mode and HeaderLogging:Response:Mode", ErrorFor(e, "HeaderLogging:Mode"), StringComparison.Ordinal);
        Assert.Contains("HeaderLogging:Request:Allowlist", ErrorFor(e, "HeaderLogging:Allowlist"), StringComparison.Ordinal);
        Assert.Contains("HeaderLogging:MaxValueBytes", ErrorFor(e, "HeaderLogging:MaxValueLength"), StringComparison.Ordinal);
    }

    [Fact]
    public void Create_UnknownTopLevelSection_IsReportedButDollarKeysAreNot()
    {
        var e = Refused($$"""{ "$schema": "x", {{Proxy}}, "HeaderLoging": { } , "Sampling": { "Ratio": 1 } }""");

        Assert.Contains("is not a known section", ErrorFor(e, "HeaderLoging"), StringComparison.Ordinal);
        Assert.Single(e.Errors);
    }

    [Fact]
    public void Create_OtelVariablesInTheFile_KnownOnesAreAcceptedAMisspeltOneIsRefused()
    {
        var e = Refused($$"""{ {{Proxy}}, "OTEL_SERVICE_NAME": "edge", "OTEL_EXPORTER_OTLP_ENDPIONT": "http://c:4317" }""");

        Assert.Contains("is not an OTEL_* variable the gateway reads", ErrorFor(e, "OTEL_EXPORTER_OTLP_ENDPIONT"), StringComparison.Ordinal);
        Assert.Single(e.Errors);
    }

    [Fact]
    public void Create_InvalidOtelValues_StopTheStartNamingEveryVariable()
    {
        using var config = new TestConfig($$"""{ {{Proxy}}, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317", "Telemetry": { "JsonLines": { "Path": "%JSONL%" } } }""");

        var e = Assert.Throws<GatewayStartupException>(() => GatewayHost.Create(
            ["--config", config.ConfigPath, "--OTEL_EXPORTER_OTLP_METRICS_TIMEOUT=5s", "--OTEL_SDK_DISABLED=yes", "--OTEL_RESOURCE_ATTRIBUTES=a"]));

        Assert.Contains(e.Errors, error => error.StartsWith("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT is '5s'", StringComparison.Ordinal));
        Assert.Contains(e.Errors, error => error.StartsWith("OTEL_SDK_DISABLED is 'yes'", StringComparison.Ordinal));
        Assert.Contains(e.Errors, error => error.StartsWith("OTEL_RESOURCE_ATTRIBUTES: entry 1", StringComparison.Ordinal));
        Assert.Equal(e.Errors.Count, e.Errors.Distinct().Count());
    }

    [Fact]
    public void Create_BadSamplingAndClientIdentity_NameEverySetting()
    {
        var e = Refused($$"""
            {
              {{Proxy}},
              "Sampling": { "Ratio": 1.5, "AlwaysKeep": [ { }, { "PathPrefix": "admin", "MinStatus": 42, "Header": "x y" } ] },
              "ClientIdentity": { "TrustedProxies": [ "10.0.0.1/8", "not-an-ip" ], "LocalHopLimit": 300, "Privacy": "Blur", "HashKey": "short-SECRETKEY" }
            }
            """);

        Assert.Contains("use a number from 0 to 1", ErrorFor(e, "Sampling:Ratio"), StringComparison.Ordinal);
        Assert.Contains("has no condition", ErrorFor(e, "Sampling:AlwaysKeep:0"), StringComparison.Ordinal);
        Assert.Contains("does not start with /", ErrorFor(e, "Sampling:AlwaysKeep:1:PathPrefix"), StringComparison.Ordinal);
        Assert.Contains("out of range", ErrorFor(e, "Sampling:AlwaysKeep:1:MinStatus"), StringComparison.Ordinal);
        Assert.Contains("is not a header name", ErrorFor(e, "Sampling:AlwaysKeep:1:Header"), StringComparison.Ordinal);
        Assert.Contains("host bits of a range must be zero", ErrorFor(e, "ClientIdentity:TrustedProxies:0"), StringComparison.Ordinal);
        Assert.Contains("not an address or CIDR range", ErrorFor(e, "ClientIdentity:TrustedProxies:1"), StringComparison.Ordinal);
        Assert.Contains("out of range", ErrorFor(e, "ClientIdentity:LocalHopLimit"), StringComparison.Ordinal);
        Assert.Contains("\"None\", \"Hash\", \"Truncate\"", ErrorFor(e, "ClientIdentity:Privacy"), StringComparison.Ordinal);
        Assert.Contains("shorter than 16", ErrorFor(e, "ClientIdentity:HashKey"), StringComparison.Ordinal);
        Assert.DoesNotContain(e.Errors, error => error.Contains("SECRETKEY", StringComparison.Ordinal));
    }

    [Fact]
    public void Create_BadRouteMetadata_NamesTheRouteAndKey()
    {
        var e = Refused("""
            {
              "ReverseProxy": {
                "Routes": { "r": { "ClusterId": "c", "Match": { "Path": "{**catch-all}" },
                  "Metadata": { "HeaderLogging.Request.Mode": "Some", "HeaderLogging.MaxHeaders": "-1", "HeaderLogging.Colour": "red", "Sampling.Ratio": "2", "Other.Key": "left alone" } } },
                "Clusters": { "c": { "Destinations": { "d": { "Address": "http://127.0.0.1:1/" } } } }
              }
            }
            """);

        Assert.Equal(4, e.Errors.Count);
        Assert.Contains("\"Some\" is not a valid value", ErrorFor(e, "ReverseProxy:Routes:r:Metadata:HeaderLogging.Request.Mode"), StringComparison.Ordinal);
        Assert.Contains("from 0 to", ErrorFor(e, "ReverseProxy:Routes:r:Metadata:HeaderLogging.MaxHeaders"), StringComparison.Ordinal);
        Assert.Contains("HeaderLogging.Request.Allowlist", ErrorFor(e, "ReverseProxy:Routes:r:Metadata:HeaderLogging.Colour"), StringComparison.Ordinal);
        Assert.Contains("not a ratio", ErrorFor(e, "ReverseProxy:Routes:r:Metadata:Sampling.Ratio"), StringComparison.Ordinal);
    }

    [Fact]
    public void Create_NameBothRedactedAndUnredacted_IsRefused()
    {
        var e = Refused($$"""{ {{Proxy}}, "HeaderLogging": { "Redact": [ "x-a" ], "Unredact": [ "X-A" ] } }""");

        Assert.Contains("also listed in Redact", ErrorFor(e, "HeaderLogging:Unredact"), StringComparison.Ordinal);
    }
}

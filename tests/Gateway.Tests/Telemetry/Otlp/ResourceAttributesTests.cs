using Gateway.Telemetry.Otlp;

namespace Gateway.Tests.Telemetry.Otlp;

/// <summary>The one resource of every signal, from OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES over what the gateway detects.</summary>
public sealed class ResourceAttributesTests
{
    [Fact]
    public void From_NothingSet_HasTheServiceSdkHostAndProcessAttributes()
    {
        var resource = ResourceAttributes.From(OtlpExportSettingsTests.Config());

        Assert.Equal("gateway", resource.Find("service.name"));
        Assert.Equal(ResourceAttributes.ProcessInstanceId, resource.Find("service.instance.id"));
        Assert.Equal(ResourceAttributes.GatewayVersion, resource.Find("service.version"));
        Assert.Equal("kernel-header-gateway", resource.Find("telemetry.sdk.name"));
        Assert.Equal("dotnet", resource.Find("telemetry.sdk.language"));
        Assert.Equal(Environment.MachineName, resource.Find("host.name"));
        Assert.Equal((long)Environment.ProcessId, resource.Find("process.pid"));
        Assert.Equal("service.name", resource[0].Key);
    }

    [Fact]
    public void From_CalledAgain_KeepsTheSameInstanceId()
    {
        var first = ResourceAttributes.From(OtlpExportSettingsTests.Config(("OTEL_SERVICE_NAME", "a")));
        var second = ResourceAttributes.From(OtlpExportSettingsTests.Config(("OTEL_SERVICE_NAME", "b")));

        Assert.Equal(first.Find("service.instance.id"), second.Find("service.instance.id"));
    }

    [Fact]
    public void From_ResourceAttributes_OverrideWhatIsDetectedButNotTheServiceNameVariable()
    {
        var resource = ResourceAttributes.From(OtlpExportSettingsTests.Config(
            ("OTEL_SERVICE_NAME", "edge"),
            ("OTEL_RESOURCE_ATTRIBUTES", "service.name=ignored, host.name=node-7 ,service.instance.id=pod-abc,k8s.pod.name=gw%2D1,k8s.pod.name=gw-2")));

        Assert.Equal("edge", resource.Find("service.name"));
        Assert.Equal("node-7", resource.Find("host.name"));
        Assert.Equal("pod-abc", resource.Find("service.instance.id"));
        Assert.Equal("gw-2", resource.Find("k8s.pod.name"));
        Assert.Single(resource, p => p.Key == "host.name");
    }

    [Fact]
    public void From_ServiceNameOnlyInResourceAttributes_IsUsed()
    {
        var resource = ResourceAttributes.From(OtlpExportSettingsTests.Config(("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attributes")));

        Assert.Equal("from-attributes", resource.Find("service.name"));
    }

    [Theory]
    [InlineData("team=edge,novalue", 2)]
    [InlineData("=x", 1)]
    public void From_MalformedEntry_ThrowsNamingTheVariableAndTheEntry(string value, int entry)
    {
        var e = Assert.Throws<OtlpSettingsException>(() => ResourceAttributes.From(OtlpExportSettingsTests.Config(("OTEL_RESOURCE_ATTRIBUTES", value))));

        Assert.StartsWith($"OTEL_RESOURCE_ATTRIBUTES: entry {entry} is not key=value", Assert.Single(e.Problems));
    }
}

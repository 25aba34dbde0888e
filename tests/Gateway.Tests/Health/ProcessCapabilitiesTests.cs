using Gateway.Health;

namespace Gateway.Tests.Health;

public sealed class ProcessCapabilitiesTests
{
    [Fact]
    public void FromStatus_ExactlyTheWireViewsThree_NamesThemAndMissesNone()
    {
        // bpf (39), perfmon (38), net_admin (12): as a container with --cap-drop ALL --cap-add BPF,PERFMON,NET_ADMIN shows them.
        var caps = ProcessCapabilities.FromStatus("Name:\tGateway\nCapInh:\t0000000000000000\nCapEff:\t000000c000001000\n");

        Assert.True(caps.Readable);
        Assert.Equal(["net_admin", "perfmon", "bpf"], caps.HeldNames());
        Assert.Empty(caps.MissingForWireView());
        Assert.Equal("net_admin, perfmon, bpf (CapEff 000000c000001000)", caps.Describe());
    }

    [Fact]
    public void FromStatus_Empty_MissesAllThree()
    {
        var caps = ProcessCapabilities.FromStatus("CapEff:\t0000000000000000\n");

        Assert.Equal(["bpf", "net_admin", "perfmon"], caps.MissingForWireView());
        Assert.StartsWith("none", caps.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void FromStatus_NoCapEffLine_NotReadable()
    {
        var caps = ProcessCapabilities.FromStatus("Name:\tx\n");

        Assert.False(caps.Readable);
        Assert.StartsWith("unknown", caps.Describe(), StringComparison.Ordinal);
    }
}

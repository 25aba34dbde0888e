using System.Runtime.InteropServices;

namespace KernelProbe.Tests;

/// <summary>
/// The C# mirrors in Abi.cs must match bpf/probe.h byte for byte. The truth
/// is the BTF clang wrote into the compiled object, so a change on either side
/// without the other fails here.
/// </summary>
public sealed class AbiLayoutTests
{
    public static TheoryData<string, Type> Structs => new()
    {
        { "probe_flow_key", typeof(ProbeFlowKey) },
        { "probe_flow_record", typeof(ProbeFlowRecord) },
        { "probe_turn", typeof(ProbeTurn) },
        { "probe_event", typeof(ProbeEventRaw) },
        { "probe_pending", typeof(ProbePending) },
        { "probe_live_slot", typeof(ProbeLiveSlot) },
        { "probe_config", typeof(ProbeConfig) },
    };

    [SkippableTheory]
    [MemberData(nameof(Structs))]
    public void Mirror_ComparedWithObjectBtf_HasSameSizeAndOffsets(string cName, Type mirror)
    {
        using BpfObject obj = KernelRequirement.LoadFresh();
        BtfStructLayout layout = obj.StructLayout(cName);

        Assert.Equal(layout.Size, Marshal.SizeOf(mirror));
        var csFields = mirror.GetFields().Select(f => f.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (BtfStructMember member in layout.Members)
        {
            string csName = member.Name.Replace("_", "", StringComparison.Ordinal);
            Assert.True(csFields.Contains(csName), $"{cName}.{member.Name} has no field {csName} in {mirror.Name}");
            string actual = csFields.First(f => string.Equals(f, csName, StringComparison.OrdinalIgnoreCase));
            Assert.True(member.Offset == (int)Marshal.OffsetOf(mirror, actual),
                $"{cName}.{member.Name} is at {member.Offset} in C, {Marshal.OffsetOf(mirror, actual)} in C#");
        }
        Assert.Equal(layout.Members.Count, csFields.Count);
    }

    [SkippableFact]
    public void StatEnum_MirrorsCount_MatchesStatsMapSize()
    {
        using BpfObject obj = KernelRequirement.LoadFresh();
        Assert.Equal((uint)Enum.GetValues<ProbeStat>().Length, obj.Map("probe_stats").MaxEntries);
        Assert.Equal(ProbeAbi.StatCount, Enum.GetValues<ProbeStat>().Length);
    }
}

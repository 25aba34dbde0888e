using Gateway.ClientIdentity;
using Gateway.Correlation;

namespace Gateway.Tests.ClientIdentity;

public class OsHintTableTests
{
    // SYN shapes as the kernel probe records them (wire.ip.ttl, wire.tcp.window, wire.tcp.options;
    // an EOL option is recorded as kind 0 and ends the list).
    [Theory]
    [InlineData(64, 64240, "2-4-8-1-3", "linux")] // Linux default over Ethernet
    [InlineData(64, 65495, "2-4-8-1-3", "linux")] // Linux over loopback
    [InlineData(52, 65535, "2-4-8-1-3", "linux")] // Android, 12 hops away
    [InlineData(128, 64240, "2-1-3-1-1-4", "windows")] // Windows 10/11
    [InlineData(113, 8192, "2-1-3-1-1-4", "windows")] // older Windows, 15 hops away
    [InlineData(64, 65535, "2-1-3-1-1-8-4-0", "apple")] // macOS and iOS
    [InlineData(55, 65535, "2-1-3-1-1-8-4-0-0", "apple")]
    [InlineData(128, 64240, "2-4-8-1-3", "unknown")] // a Linux layout whose TTL was raised to 128 (a tuned stack)
    [InlineData(64, 64240, "2-1-3-1-1-4", "unknown")] // a Windows layout from TTL 64 (a NAT or a tool)
    [InlineData(64, 29200, "2-1-3-1-1-8-4-0", "unknown")] // Apple's layout with another window
    [InlineData(64, 65535, "2-1-3-4-8", "unknown")] // FreeBSD
    [InlineData(64, 64240, "2-4-1-3", "unknown")] // Linux with timestamps off
    [InlineData(255, 4128, "2", "unknown")] // network gear, Solaris
    [InlineData(64, 1024, "", "unknown")] // a bare SYN from a scanner
    [InlineData(64, 64240, "2-4-8-1-3-5", "unknown")] // the Linux layout followed by more options
    [InlineData(64, 64240, "2-4-8-1-30", "unknown")] // a prefix that ends mid-number is no match
    public void Of_SynShape_GivesTheTablesHint(int ttl, int window, string options, string expected)
    {
        var wire = new WireFacts { Ttl = ttl, Window = window, Options = options };
        Assert.Equal(expected, OsHintTable.Of(wire));
    }

    [Fact]
    public void Of_HandshakeNotSeen_GivesNoHint()
    {
        Assert.Null(OsHintTable.Of(new WireFacts { PacketsIn = 3 }));
        Assert.Null(OsHintTable.Of(null));
    }

    [Theory]
    [InlineData(1, 64)]
    [InlineData(64, 64)]
    [InlineData(65, 128)]
    [InlineData(128, 128)]
    [InlineData(129, 255)]
    [InlineData(255, 255)]
    public void InitialTtl_IsTheNextBucketAtOrAbove(int ttl, int bucket) => Assert.Equal(bucket, OsHintTable.InitialTtl(ttl));
}

using System.Net;
using Gateway.ClientIdentity;
using Gateway.Configuration;

namespace Gateway.Tests.ClientIdentity;

public sealed class ClientAddressAnonymizerTests
{
    [Theory]
    [InlineData("203.0.113.77", "203.0.113.0")]
    [InlineData("::ffff:203.0.113.77", "203.0.113.0")]
    [InlineData("2001:db8:1234:5678::1", "2001:db8:1234::")]
    public void Apply_Truncate_KeepsIpv4Slash24AndIpv6Slash48(string address, string expected)
    {
        var anonymizer = new ClientAddressAnonymizer(ClientAddressPrivacy.Truncate, null);

        Assert.Equal(expected, anonymizer.Apply(IPAddress.Parse(address)));
    }

    [Fact]
    public void Apply_HashWithKey_StableForOneKeyDifferentForAnotherAndNotTheAddress()
    {
        var a = new ClientAddressAnonymizer(ClientAddressPrivacy.Hash, "0123456789abcdef-key-one");
        var b = new ClientAddressAnonymizer(ClientAddressPrivacy.Hash, "0123456789abcdef-key-two");
        var address = IPAddress.Parse("203.0.113.77");

        var hashed = a.Apply(address);

        Assert.Matches("^anon-[0-9a-f]{24}$", hashed);
        Assert.Equal(hashed, a.Apply(IPAddress.Parse("::ffff:203.0.113.77")));
        Assert.NotEqual(hashed, b.Apply(address));
        Assert.DoesNotContain("203", hashed, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_HashWithoutKey_UsesOneRandomKeyPerProcess()
    {
        var address = IPAddress.Parse("198.51.100.1");

        Assert.Equal(new ClientAddressAnonymizer(ClientAddressPrivacy.Hash, null).Apply(address),
            new ClientAddressAnonymizer(ClientAddressPrivacy.Hash, null).Apply(address));
    }

    [Fact]
    public void Apply_None_WritesTheAddress()
    {
        Assert.Equal("198.51.100.1", new ClientAddressAnonymizer(ClientAddressPrivacy.None, null).Apply(IPAddress.Parse("198.51.100.1")));
    }
}

using System.Net;
using Gateway.ClientIdentity;
using Gateway.Configuration;
using Gateway.Correlation;
using Microsoft.Extensions.Primitives;

namespace Gateway.Tests.ClientIdentity;

public sealed class ClientIdentityResolverTests
{
    private static readonly IPAddress Proxy = IPAddress.Parse("10.1.2.3");
    private static readonly WireFacts Near = new() { Ttl = 63 };
    private static readonly WireFacts Far = new() { Ttl = 37 };

    private static ClientIdentityResolver Resolver(params string[] trusted) =>
        new(new ClientIdentitySettings { TrustedProxies = [.. trusted] });

    [Fact]
    public void Resolve_NoForwardingHeader_ClientIsThePeerAndNothingIsClaimed()
    {
        var verdict = Resolver("10.0.0.0/8").Resolve(Proxy, 5000, default, default, Near);

        Assert.Equal(Proxy, verdict.ClientAddress);
        Assert.Equal(5000, verdict.ClientPort);
        Assert.False(verdict.Claimed);
        Assert.Null(verdict.Mismatch);
    }

    [Fact]
    public void Resolve_XForwardedForFromUntrustedPeer_IgnoredAndReportedAsUntrusted()
    {
        var verdict = Resolver().Resolve(IPAddress.Parse("203.0.113.9"), 5000, default, "198.51.100.7", null);

        Assert.Equal(IPAddress.Parse("203.0.113.9"), verdict.ClientAddress);
        Assert.True(verdict.Claimed);
        Assert.False(verdict.Trusted);
        Assert.Equal(ClientIdentityResolver.UntrustedPeer, verdict.Mismatch);
    }

    [Fact]
    public void Resolve_TrustedPeerWithChain_ClientIsTheNearestUntrustedHop()
    {
        var verdict = Resolver("10.0.0.0/8").Resolve(Proxy, 5000, default, new StringValues(["198.51.100.7, 203.0.113.1", "10.9.9.9"]), Near);

        Assert.Equal(IPAddress.Parse("203.0.113.1"), verdict.ClientAddress);
        Assert.Null(verdict.ClientPort);
        Assert.True(verdict.Trusted);
        Assert.Null(verdict.Mismatch);
    }

    [Fact]
    public void Resolve_ForwardedHeaderWithQuotedIpv6AndPort_TakesPrecedenceOverXForwardedFor()
    {
        var verdict = Resolver("10.0.0.0/8").Resolve(Proxy, 5000,
            "for=192.0.2.60;proto=http;by=203.0.113.43, For=\"[2001:db8:cafe::17]:4711\"", "198.51.100.7", Near);

        Assert.Equal(IPAddress.Parse("2001:db8:cafe::17"), verdict.ClientAddress);
        Assert.Equal(4711, verdict.ClientPort);
        Assert.True(verdict.Trusted);
    }

    [Theory]
    [InlineData("unknown")]
    [InlineData("_hidden")]
    [InlineData("not an address")]
    public void Resolve_TrustedPeerButEntryIsNotAnAddress_ClientStaysThePeerAndMismatchIsMalformed(string entry)
    {
        var verdict = Resolver("10.0.0.0/8").Resolve(Proxy, 5000, $"for={entry}", default, Near);

        Assert.Equal(Proxy, verdict.ClientAddress);
        Assert.Equal(ClientIdentityResolver.Malformed, verdict.Mismatch);
    }

    [Fact]
    public void Resolve_PrivateClaimOverAFarConnection_IsATtlMismatchEvenFromAnUntrustedPeer()
    {
        var verdict = Resolver().Resolve(IPAddress.Parse("203.0.113.9"), 5000, default, "192.168.1.20", Far);

        Assert.Equal("untrusted-peer,ttl-far", verdict.Mismatch);
    }

    [Fact]
    public void Resolve_PrivateClaimFromTrustedPeerOverAFarConnection_IsATtlMismatch()
    {
        var verdict = Resolver("10.0.0.0/8").Resolve(Proxy, 5000, default, "127.0.0.1", Far);

        Assert.True(verdict.Trusted);
        Assert.Equal(ClientIdentityResolver.TtlFar, verdict.Mismatch);
    }

    [Fact]
    public void Resolve_PrivateClaimButWireUnobserved_IsNoTtlMismatch()
    {
        var verdict = Resolver("10.0.0.0/8").Resolve(Proxy, 5000, default, "192.168.1.20", null);

        Assert.Null(verdict.Mismatch);
    }

    [Fact]
    public void Resolve_PublicClaimOverAFarConnection_IsNoTtlMismatch()
    {
        var verdict = Resolver("10.0.0.0/8").Resolve(Proxy, 5000, default, "198.51.100.7", Far);

        Assert.Null(verdict.Mismatch);
    }

    [Theory]
    [InlineData(64, 0)]
    [InlineData(57, 7)]
    [InlineData(128, 0)]
    [InlineData(117, 11)]
    [InlineData(250, 5)]
    public void HopsFrom_Ttl_CountsFromTheNextCommonInitialValue(int ttl, int hops)
    {
        Assert.Equal(hops, ClientIdentityResolver.HopsFrom(new WireFacts { Ttl = ttl }));
    }

    [Fact]
    public void Resolve_IPv4MappedPeer_MatchesAnIPv4TrustedRange()
    {
        var verdict = Resolver("127.0.0.1").Resolve(IPAddress.Parse("::ffff:127.0.0.1"), 5000, default, "198.51.100.7", Near);

        Assert.True(verdict.Trusted);
        Assert.Equal(IPAddress.Parse("198.51.100.7"), verdict.ClientAddress);
    }
}

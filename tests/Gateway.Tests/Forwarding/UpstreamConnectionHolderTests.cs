using System.Net;
using Gateway.Correlation;
using Gateway.Forwarding;

namespace Gateway.Tests.Forwarding;

public sealed class UpstreamConnectionHolderTests
{
    private static readonly ConnectionTuple First = new(IPAddress.Loopback, 40000, IPAddress.Loopback, 5080);
    private static readonly ConnectionTuple Second = new(IPAddress.Loopback, 40001, IPAddress.Loopback, 5080);

    [Fact]
    public void Stamp_BeforeSeal_IsTheAnswer()
    {
        var holder = new UpstreamConnectionHolder();

        holder.Stamp(First);
        holder.Seal();

        Assert.Equal(First, holder.Tuple);
    }

    [Fact]
    public void Stamp_AfterSeal_IsIgnored()
    {
        var holder = new UpstreamConnectionHolder();
        holder.Stamp(First);
        holder.Seal();

        holder.Stamp(Second);
        holder.SetStatusCode(500);

        Assert.Equal(First, holder.Tuple);
        Assert.Null(holder.StatusCode);
    }

    [Fact]
    public async Task Current_SetInAnAsyncMethod_FlowsIntoAwaitedWorkAndRevertsAfter()
    {
        var holder = new UpstreamConnectionHolder();
        UpstreamConnectionHolder? inside = null;

        async Task Forward()
        {
            UpstreamConnectionJoin.Begin(holder);
            await Task.Run(() => inside = UpstreamConnectionJoin.Current);
        }

        await Forward();

        Assert.Same(holder, inside);
        Assert.Null(UpstreamConnectionJoin.Current);
    }
}

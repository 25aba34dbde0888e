namespace KernelProbe.Tests;

/// <summary>
/// Two test hosts: namespace A (the gateway's side, 198.18.0.1 on a0) and
/// namespace B (the peer, 198.18.0.2 on b0), joined by a veth pair. Both
/// namespaces, and with them everything attached inside, go away on dispose.
/// </summary>
internal sealed class VethLink : IDisposable
{
    public const string AddressA = "198.18.0.1";
    public const string AddressB = "198.18.0.2";

    public VethLink()
    {
        A = new TestNetns();
        try
        {
            B = new TestNetns();
            TestNetns.Ip("link", "add", "a0", "netns", A.Name, "type", "veth", "peer", "name", "b0", "netns", B.Name);
            TestNetns.Ip("-n", A.Name, "addr", "add", $"{AddressA}/30", "dev", "a0");
            TestNetns.Ip("-n", B.Name, "addr", "add", $"{AddressB}/30", "dev", "b0");
            TestNetns.Ip("-n", A.Name, "link", "set", "a0", "up");
            TestNetns.Ip("-n", B.Name, "link", "set", "b0", "up");
        }
        catch
        {
            B?.Dispose();
            A.Dispose();
            throw;
        }
    }

    public TestNetns A { get; }

    public TestNetns B { get; } = null!;

    public void Dispose()
    {
        B.Dispose();
        A.Dispose();
    }
}

using System.Net;
using Gateway.Correlation;

namespace Gateway.ClientIdentity;

/// <summary>The addresses and networks whose forwarding headers the gateway believes.</summary>
internal sealed class TrustedProxies
{
    private readonly IPNetwork[] _networks;

    /// <summary>Parses validated entries: addresses (<c>10.0.0.1</c>) or CIDR ranges (<c>10.0.0.0/8</c>).</summary>
    public TrustedProxies(IEnumerable<string> entries)
    {
        var networks = new List<IPNetwork>();
        foreach (var entry in entries)
        {
            if (TryParse(entry, out var network))
            {
                networks.Add(network);
            }
        }

        _networks = [.. networks];
    }

    /// <summary>True when no proxy is trusted.</summary>
    public bool IsEmpty => _networks.Length == 0;

    /// <summary>True when <paramref name="address"/> is a trusted proxy (IPv4-mapped IPv6 counts as IPv4).</summary>
    public bool Contains(IPAddress address)
    {
        var normalized = ConnectionTuple.Normalize(address);
        foreach (var network in _networks)
        {
            if (network.Contains(normalized))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Reads one entry; an address alone is a /32 or /128 network.</summary>
    public static bool TryParse(string? entry, out IPNetwork network)
    {
        network = default;
        if (string.IsNullOrWhiteSpace(entry))
        {
            return false;
        }

        var text = entry.Trim();
        if (text.Contains('/'))
        {
            // A range whose host bits are set (10.0.0.1/8) is refused: the operator must say which they mean.
            var slash = text.IndexOf('/');
            return IPNetwork.TryParse(text, out network)
                && IPAddress.TryParse(text.AsSpan(0, slash), out var written)
                && written.Equals(network.BaseAddress);
        }

        if (!IPAddress.TryParse(text, out var address))
        {
            return false;
        }

        address = ConnectionTuple.Normalize(address);
        network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        return true;
    }
}

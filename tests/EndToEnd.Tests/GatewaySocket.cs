using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace EndToEnd.Tests;

/// <summary>
/// The gateway's end of a connection as the gateway's own kernel reports it (<c>ss -ti</c> in the host's
/// namespace, where the gateway runs): its TCP stack's counts, which the gateway's BPF programs never touch.
/// </summary>
internal static partial class GatewaySocket
{
    /// <summary>The socket's line from <c>ss -tinH</c>; fails when ss does not show it.</summary>
    public static string Info(IPEndPoint gateway, IPEndPoint client)
    {
        string info = PeerNamespace.Run("ss", "-tinH", "state", "established", "src", Format(gateway), "dst", Format(client));
        if (!info.Contains($":{gateway.Port}", StringComparison.Ordinal))
            throw new InvalidOperationException($"ss does not show the gateway's socket {gateway} to {client}: {info}");
        return info;
    }

    /// <summary>Segments the gateway's kernel sent again on the connection so far (ss: <c>retrans:now/total</c>; none shown means none).</summary>
    public static long TotalRetransmits(string info)
    {
        Match retrans = Retransmits().Match(info);
        return retrans.Success ? long.Parse(retrans.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    /// <summary>
    /// Waits until the client has acknowledged everything the gateway sent (ss shows no <c>unacked</c>): from
    /// then on the gateway's kernel sends none of it again, so the client has received every segment of the
    /// exchange. Returns the socket's line then.
    /// </summary>
    public static async Task<string> WaitUntilAcknowledgedAsync(IPEndPoint gateway, IPEndPoint client, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            string info = Info(gateway, client);
            if (!Unacknowledged().IsMatch(info))
                return info;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the gateway's socket still waits for acknowledgments after {timeout}: {info}");
            await Task.Delay(5);
        }
    }

    private static string Format(IPEndPoint endpoint) =>
        endpoint.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]:{endpoint.Port}" : $"{endpoint.Address}:{endpoint.Port}";

    [GeneratedRegex(@"\bretrans:\d+/(\d+)")]
    private static partial Regex Retransmits();

    [GeneratedRegex(@"\bunacked:\d+")]
    private static partial Regex Unacknowledged();
}

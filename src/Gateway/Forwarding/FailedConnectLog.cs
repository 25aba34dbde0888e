using System.Net;
using Gateway.Correlation;

namespace Gateway.Forwarding;

/// <summary>
/// The most recent failed upstream connect attempts (at most <see cref="Capacity"/>, for at
/// most <see cref="MaxAge"/>), so the request that the attempt was made for can name it.
/// </summary>
/// <remarks>
/// The connect callback usually runs on the flow of the request that caused the connection,
/// so the attempt is stamped on that request's <see cref="UpstreamAttempt"/>
/// directly (tested: the refused-backend test passes on that path alone). But the pool may
/// start a connection for one request and hand it to, or fail, another waiting request; this
/// log lets such a request still find the failed attempt by destination and time.
/// </remarks>
internal sealed class FailedConnectLog
{
    /// <summary>Attempts kept at most.</summary>
    public const int Capacity = 256;

    /// <summary>Attempts older than this are forgotten.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(60);

    private readonly Lock gate = new();
    private readonly LinkedList<FailedConnect> recent = new();

    /// <summary>Records a failed attempt.</summary>
    public void Add(FailedConnect attempt)
    {
        lock (gate)
        {
            recent.AddFirst(attempt);
            while (recent.Count > Capacity || (recent.Last is { } last && Environment.TickCount64 - last.Value.FailedAt > MaxAge.TotalMilliseconds))
            {
                recent.RemoveLast();
            }
        }
    }

    /// <summary>The latest attempt to <paramref name="host"/>:<paramref name="port"/> that failed at or after <paramref name="since"/>.</summary>
    public FailedConnect? Latest(string host, int port, long since)
    {
        IPAddress[] addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : [];
        lock (gate)
        {
            foreach (var attempt in recent)
            {
                if (attempt.FailedAt < since)
                {
                    break;
                }

                if (attempt.Tuple.PeerPort == port && (addresses.Length == 0 || addresses.Any(a => Same(a, attempt.Tuple.PeerAddress))))
                {
                    return attempt;
                }
            }
        }

        return null;
    }

    private static bool Same(IPAddress a, IPAddress b) =>
        (a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a).Equals(b.IsIPv4MappedToIPv6 ? b.MapToIPv4() : b);
}

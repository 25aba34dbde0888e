using System.Net;

namespace Gateway.ClientIdentity;

/// <summary>
/// Who the client is, as the gateway decided: the address for <c>client.address</c> (and a port
/// when known), and, when the request carried a forwarding header, whether it was believed and
/// what contradicted it.
/// </summary>
public readonly record struct ForwardedVerdict
{
    /// <summary>The client's address: the TCP peer, or the forwarded address a trusted proxy vouched for.</summary>
    public required IPAddress ClientAddress { get; init; }

    /// <summary>The client's port: the TCP peer's, the forwarded one when given, or null when unknown.</summary>
    public int? ClientPort { get; init; }

    /// <summary>True when a <c>Forwarded</c> or <c>X-Forwarded-For</c> header was present.</summary>
    public bool Claimed { get; init; }

    /// <summary>True when the claim came from a trusted proxy and was used.</summary>
    public bool Trusted { get; init; }

    /// <summary>Why the claim is suspicious, comma-separated short reasons; null when nothing contradicts it.</summary>
    public string? Mismatch { get; init; }
}

namespace Gateway.Configuration;

/// <summary>
/// The <c>ClientIdentity</c> section: when <c>client.address</c> may come from
/// <c>Forwarded</c> / <c>X-Forwarded-For</c>, how claims are checked against the wire, and how
/// client addresses are protected in records. Applied again on every valid reload.
/// </summary>
public sealed class ClientIdentitySettings
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "ClientIdentity";

    /// <summary>
    /// Addresses or CIDR ranges of proxies whose forwarding headers are believed, e.g.
    /// <c>["10.0.0.0/8", "127.0.0.1"]</c>. Default none: every forwarded claim is reported as untrusted
    /// and <c>client.address</c> is the TCP peer.
    /// </summary>
    public List<string>? TrustedProxies { get; set; }

    /// <summary>
    /// Most router hops a packet from a local or private address may have crossed: a claim of a
    /// private/loopback hop over a connection whose <c>wire.ip.ttl</c> says more hops is a mismatch.
    /// Default 8.
    /// </summary>
    public int LocalHopLimit { get; set; } = 8;

    /// <summary><c>None</c> (default), <c>Hash</c> or <c>Truncate</c>: applies to <c>client.address</c> and the downstream <c>network.peer.address</c>.</summary>
    public ClientAddressPrivacy Privacy { get; set; } = ClientAddressPrivacy.None;

    /// <summary>Key of the hash in <see cref="ClientAddressPrivacy.Hash"/> mode, at least 16 characters; null means a random key per process.</summary>
    public string? HashKey { get; set; }
}

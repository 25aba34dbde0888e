namespace Gateway.Configuration;

/// <summary>How client addresses appear in records.</summary>
public enum ClientAddressPrivacy
{
    /// <summary>As they are.</summary>
    None,

    /// <summary>Keyed hash (HMAC-SHA256, truncated): the same client gets the same token, the address cannot be read back.</summary>
    Hash,

    /// <summary>Network part only: IPv4 to /24, IPv6 to /48.</summary>
    Truncate,
}

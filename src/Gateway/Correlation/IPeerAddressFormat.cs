using System.Net;

namespace Gateway.Correlation;

/// <summary>
/// How a record writes a connection's peer address when the peer is a client (a privacy setting
/// such as hashing or truncating it). Declared here so that the correlation layer writes 5-tuples
/// without knowing who decides the setting (ClientIdentity implements it and uses this room, not
/// the other way round).
/// </summary>
public interface IPeerAddressFormat
{
    /// <summary>True when addresses are written other than as they are.</summary>
    bool IsActive { get; }

    /// <summary>The address as records show it.</summary>
    string Apply(IPAddress address);
}

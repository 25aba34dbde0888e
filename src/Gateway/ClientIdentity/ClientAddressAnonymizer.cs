using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Gateway.Configuration;
using Gateway.Correlation;

namespace Gateway.ClientIdentity;

/// <summary>
/// Writes a client address the way <c>ClientIdentity:Privacy</c> asks: as is, as a keyed hash
/// (<c>anon-</c> and 24 hex digits of HMAC-SHA256 over the address bytes), or truncated to its
/// network (IPv4 /24, IPv6 /48). The wire facts of the connection are never touched.
/// </summary>
public sealed class ClientAddressAnonymizer : IPeerAddressFormat
{
    /// <summary>Prefix of a hashed address, so that nobody mistakes it for an address.</summary>
    public const string HashPrefix = "anon-";

    private const int HashBytes = 12;

    // One random key per process, not per reload: a reload must not change every client's token.
    private static readonly byte[] ProcessKey = RandomNumberGenerator.GetBytes(32);

    private readonly byte[] _key;

    /// <summary>Builds the anonymizer; a null <paramref name="hashKey"/> means a random key for this process.</summary>
    public ClientAddressAnonymizer(ClientAddressPrivacy mode, string? hashKey)
    {
        Mode = mode;
        _key = hashKey is { Length: > 0 } ? Encoding.UTF8.GetBytes(hashKey) : ProcessKey;
    }

    /// <summary>The mode in force.</summary>
    public ClientAddressPrivacy Mode { get; }

    /// <summary>True unless the mode is <see cref="ClientAddressPrivacy.None"/>.</summary>
    public bool IsActive => Mode != ClientAddressPrivacy.None;

    /// <summary>The address as records show it.</summary>
    public string Apply(IPAddress address)
    {
        address = ConnectionTuple.Normalize(address);
        return Mode switch
        {
            ClientAddressPrivacy.Hash => Hash(address),
            ClientAddressPrivacy.Truncate => Truncate(address).ToString(),
            _ => address.ToString(),
        };
    }

    /// <summary>The network part: IPv4 /24, IPv6 /48 (scope id dropped).</summary>
    public static IPAddress Truncate(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        var keep = address.AddressFamily == AddressFamily.InterNetwork ? 3 : 6;
        Array.Clear(bytes, keep, bytes.Length - keep);
        return new IPAddress(bytes);
    }

    private string Hash(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var length);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, bytes[..length], mac);
        return HashPrefix + Convert.ToHexStringLower(mac[..HashBytes]);
    }
}

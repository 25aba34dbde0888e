using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace Gateway.Telemetry.Records;

/// <summary>
/// An attribute name with every encoding of it the writers need, computed once: the OTLP
/// <c>KeyValue.key</c> field ready to copy, and the JSON property name already escaped.
/// </summary>
/// <remarks>
/// The names of the schema are static fields (<see cref="SemanticConventions"/>); header names
/// are derived once per distinct header and cached by the header policy. <see cref="Of"/>
/// caches every other name up to a bound, so that a client sending random names cannot
/// grow it.
/// </remarks>
internal sealed class AttributeName
{
    private const int CacheLimit = 4096;
    private static readonly ConcurrentDictionary<string, AttributeName> Cache = new(StringComparer.Ordinal);

    /// <summary>Encodes <paramref name="name"/>; prefer <see cref="Of"/>, which reuses earlier encodings.</summary>
    public AttributeName(string name)
    {
        Name = name;
        var utf8 = Encoding.UTF8.GetBytes(name);
        // KeyValue.key: field 1, wire type 2 (length-delimited), then the length as a varint.
        var key = new List<byte>(utf8.Length + 6) { 0x0A };
        for (var length = (uint)utf8.Length; ; length >>= 7)
        {
            if (length < 0x80)
            {
                key.Add((byte)length);
                break;
            }

            key.Add((byte)(length | 0x80));
        }

        key.AddRange(utf8);
        OtlpKey = [.. key];
        Json = JsonEncodedText.Encode(name, JsonLineFormatter.Encoder);
    }

    /// <summary>The name as written in the schema.</summary>
    public string Name { get; }

    /// <summary>The OTLP <c>KeyValue.key</c> field: tag, length and UTF-8 bytes.</summary>
    internal byte[] OtlpKey { get; }

    /// <summary>The name as a JSON property name, escaped.</summary>
    internal JsonEncodedText Json { get; }

    /// <summary>
    /// True for the names the core form of an access record keeps (DESIGN.md, "Log records"): set
    /// once, where the name is defined (<see cref="Core"/>), and read by every writer to leave the rest out.
    /// </summary>
    public bool IsCore { get; private set; }

    /// <summary>The encoded name, cached (within a bound).</summary>
    public static AttributeName Of(string name)
    {
        if (Cache.TryGetValue(name, out var known))
        {
            return known;
        }

        var created = new AttributeName(name);
        return Cache.Count < CacheLimit ? Cache.GetOrAdd(name, created) : created;
    }

    /// <summary>
    /// The encoded name, cached, marked as one the core access record keeps. The cached instance
    /// itself is marked, so a name reached through <see cref="Of"/> (a test, a string-keyed add) is
    /// core too.
    /// </summary>
    public static AttributeName Core(string name)
    {
        var core = Of(name);
        core.IsCore = true;
        return core;
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}

using System.Runtime.CompilerServices;
using Gateway.Telemetry.Records;

namespace Gateway.Telemetry.Otlp;

/// <summary>
/// The OTLP encodings of recently written attributes, per thread, keyed by the attribute's
/// identity: its name (names are interned), its kind and its value, a number or a string
/// instance. Most attributes of a request repeat the previous request's: the method, the
/// route, the scheme, the user agent and the other header values (Kestrel hands out the same
/// string instance while a connection sends the same value), the handshake facts. A hit is a
/// copy of a few dozen bytes instead of measuring, transcoding and writing the value again.
/// </summary>
/// <remarks>
/// Direct-mapped: a slot per hash, the newest encoding wins. A string value is matched by
/// instance, never by content (strings cannot change); an array of strings is never cached,
/// since an array could be filled again. Only <see cref="OtlpEncoder"/> uses it, on the thread
/// that encodes: no locks.
/// </remarks>
internal sealed class EncodedAttributeCache
{
    /// <summary>Longest encoding kept (a key and a short value).</summary>
    public const int MaxEntryBytes = 192;

    private const int Slots = 1024;

    [ThreadStatic]
    private static EncodedAttributeCache? t_current;

    private readonly AttributeName?[] _names = new AttributeName?[Slots];
    private readonly AttributeKind[] _kinds = new AttributeKind[Slots];
    private readonly long[] _bits = new long[Slots];
    private readonly object?[] _references = new object?[Slots];
    private readonly byte[] _bytes = new byte[Slots * MaxEntryBytes];
    private readonly byte[] _lengths = new byte[Slots];

    /// <summary>The calling thread's cache.</summary>
    public static EncodedAttributeCache Current => t_current ??= new EncodedAttributeCache();

    /// <summary>True for the attributes whose identity says everything about their value.</summary>
    public static bool Cacheable(in Attribute attribute) => attribute.Kind switch
    {
        AttributeKind.String or AttributeKind.Bool or AttributeKind.Int or AttributeKind.Double => true,
        AttributeKind.Strings => attribute.Reference is string,
        _ => false,
    };

    /// <summary>The slot holding the encoding of <paramref name="attribute"/>, or -1.</summary>
    public int Find(in Attribute attribute)
    {
        var slot = Slot(attribute);
        return ReferenceEquals(_names[slot], attribute.Name) && _kinds[slot] == attribute.Kind && _bits[slot] == attribute.Bits
            && ReferenceEquals(_references[slot], attribute.Reference)
            ? slot
            : -1;
    }

    /// <summary>The encoding in <paramref name="slot"/> (what follows the field tag).</summary>
    public ReadOnlySpan<byte> Encoded(int slot) => _bytes.AsSpan(slot * MaxEntryBytes, _lengths[slot]);

    /// <summary>Keeps <paramref name="encoded"/> (what follows the field tag) as the encoding of <paramref name="attribute"/>.</summary>
    public void Keep(in Attribute attribute, ReadOnlySpan<byte> encoded)
    {
        if (encoded.Length > MaxEntryBytes || !Cacheable(attribute))
        {
            return;
        }

        var slot = Slot(attribute);
        _names[slot] = attribute.Name;
        _kinds[slot] = attribute.Kind;
        _bits[slot] = attribute.Bits;
        _references[slot] = attribute.Reference;
        encoded.CopyTo(_bytes.AsSpan(slot * MaxEntryBytes));
        _lengths[slot] = (byte)encoded.Length;
    }

    private static int Slot(in Attribute attribute)
    {
        var hash = (uint)RuntimeHelpers.GetHashCode(attribute.Name) * 0x9E3779B1u;
        hash ^= attribute.Reference is { } reference ? (uint)RuntimeHelpers.GetHashCode(reference) : (uint)attribute.Bits ^ (uint)(attribute.Bits >> 32);
        hash = (hash ^ (hash >> 15)) * 0x85EBCA6Bu;
        return (int)((hash ^ (hash >> 13)) & (Slots - 1));
    }
}

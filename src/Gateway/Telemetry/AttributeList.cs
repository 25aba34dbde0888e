using System.Collections;
using System.Globalization;
using Gateway.ClientIdentity;
using Gateway.Correlation;
using Gateway.Telemetry.Records;

namespace Gateway.Telemetry;

/// <summary>The type of an attribute's value.</summary>
internal enum AttributeKind : byte
{
    /// <summary>No value (written as JSON null, left out of OTLP).</summary>
    Null,

    /// <summary>A string.</summary>
    String,

    /// <summary>A boolean.</summary>
    Bool,

    /// <summary>A 64-bit integer.</summary>
    Int,

    /// <summary>A double.</summary>
    Double,

    /// <summary>An array of strings (header values).</summary>
    Strings,

    /// <summary>
    /// A shared, unchanging list of attributes spliced in as if added one by one: the facts of a
    /// connection that every request on it repeats, encoded once for all of them.
    /// </summary>
    Group,
}

/// <summary>One attribute: its encoded name and a value that is never boxed.</summary>
internal readonly struct Attribute(AttributeName name, AttributeKind kind, long bits, object? reference)
{
    /// <summary>The name.</summary>
    public AttributeName Name { get; } = name;

    /// <summary>The value's type.</summary>
    public AttributeKind Kind { get; } = kind;

    /// <summary>The integer, the boolean (0/1) or the double's bits.</summary>
    public long Bits { get; } = bits;

    /// <summary>The string, or the string array.</summary>
    public object? Reference { get; } = reference;

    /// <summary>The integer value.</summary>
    public long Int => Bits;

    /// <summary>The boolean value.</summary>
    public bool Bool => Bits != 0;

    /// <summary>The double value.</summary>
    public double Double => BitConverter.Int64BitsToDouble(Bits);

    /// <summary>The string value.</summary>
    public string String => (string)Reference!;

    /// <summary>How many strings a string-array value holds (one when it was added as a single string).</summary>
    public int StringCount => Reference switch
    {
        string[] array => array.Length,
        string => 1,
        _ => 0,
    };

    /// <summary>String <paramref name="index"/> of a string-array value.</summary>
    public string StringAt(int index) => Reference is string[] array ? array[index] ?? string.Empty : (string)Reference!;

    /// <summary>The group value.</summary>
    public AttributeList Group => (AttributeList)Reference!;

    /// <summary>The value as an object (boxes): for readers that are not on the hot path.</summary>
    public object? Boxed => Kind switch
    {
        AttributeKind.String => Reference,
        AttributeKind.Strings => Reference as string[] ?? [(string)Reference!],
        AttributeKind.Bool => Bool,
        AttributeKind.Int => Int,
        AttributeKind.Double => Double,
        _ => null,
    };
}

/// <summary>
/// The attributes of one record or span, in the order they were added, stored without
/// boxing and with pre-encoded names so that the OTLP and JSON writers only copy bytes.
/// The list is reused from record to record (<see cref="Clear"/>): building a record
/// allocates nothing once the pool is warm.
/// </summary>
/// <remarks>
/// It still reads as an <c>IReadOnlyList&lt;KeyValuePair&lt;string, object?&gt;&gt;</c> (boxing
/// each value) for the console line and for tests.
/// </remarks>
internal sealed class AttributeList : IReadOnlyList<KeyValuePair<string, object?>>
{
    /// <summary>Attributes of a server span or access record besides the captured headers: the fixed ones and the wire.* ones.</summary>
    public const int RecordCapacity = 64;

    private static readonly AttributeName GroupName = new("(group)");

    private const int EncodedNone = 0;
    private const int EncodedWriting = 1;
    private const int EncodedReady = 2;

    private Attribute[] _items;
    private int _count;
    private byte[]? _encoded;
    private int _encodedLength;
    private int _encodedState;
    private byte _encodedTag;

    /// <summary>An empty list.</summary>
    public AttributeList()
        : this(8)
    {
    }

    /// <summary>An empty list with room for <paramref name="capacity"/> attributes.</summary>
    public AttributeList(int capacity) => _items = new Attribute[Math.Max(1, capacity)];

    /// <summary>How many attributes, counting those of spliced groups one by one.</summary>
    public int Count
    {
        get
        {
            var count = 0;
            foreach (var attribute in Items)
            {
                count += attribute.Kind == AttributeKind.Group ? attribute.Group.Count : 1;
            }

            return count;
        }
    }

    /// <summary>The attributes as stored (a group is one entry).</summary>
    public ReadOnlySpan<Attribute> Items => _items.AsSpan(0, _count);

    /// <inheritdoc />
    public KeyValuePair<string, object?> this[int index]
    {
        get
        {
            var at = 0;
            foreach (var attribute in Flattened())
            {
                if (at++ == index)
                {
                    return new(attribute.Name.Name, attribute.Boxed);
                }
            }

            throw new ArgumentOutOfRangeException(nameof(index));
        }
    }

    /// <summary>The attributes with every group spliced in, in order.</summary>
    public IEnumerable<Attribute> Flattened()
    {
        for (var i = 0; i < _count; i++)
        {
            if (_items[i].Kind == AttributeKind.Group)
            {
                foreach (var inner in _items[i].Group.Flattened())
                {
                    yield return inner;
                }
            }
            else
            {
                yield return _items[i];
            }
        }
    }

    /// <summary>Splices in <paramref name="group"/>, a list that must not change any more.</summary>
    public void AddGroup(AttributeList group) => Append(new Attribute(GroupName, AttributeKind.Group, 0, group));

    /// <summary>Empties the list, keeping its storage.</summary>
    public void Clear()
    {
        Array.Clear(_items, 0, _count);
        _count = 0;
        if (_encodedState != EncodedNone || _encoded is { Length: > 64 * 1024 })
        {
            ForgetEncoded();
        }
    }

    /// <summary>
    /// Appends the OTLP encoding kept by <see cref="KeepEncoded"/> (the list's <c>KeyValue</c> fields),
    /// with each field's one-byte tag set to <paramref name="tag"/>; false when none is kept.
    /// </summary>
    /// <remarks>
    /// Lock-free: the list is filled on the request's flow and only read once the record is
    /// submitted, when the sinks (each on its own loop) may encode it at the same time; the first
    /// to finish publishes its bytes, which stay unchanged until the record is recycled.
    /// </remarks>
    internal bool TryCopyEncoded(Otlp.ProtoWriter writer, byte tag)
    {
        if (Volatile.Read(ref _encodedState) != EncodedReady)
        {
            return false;
        }

        var start = writer.Length;
        writer.Raw(_encoded.AsSpan(0, _encodedLength));
        if (tag != _encodedTag)
        {
            SetTags(writer.WrittenSince(start), tag);
        }

        return true;
    }

    /// <summary>Sets the one-byte tag of every field in <paramref name="fields"/> (each: tag, varint length, bytes).</summary>
    private static void SetTags(Span<byte> fields, byte tag)
    {
        var at = 0;
        while (at < fields.Length)
        {
            fields[at] = tag;
            int b = fields[at + 1];
            at += 2;
            if (b < 0x80)
            {
                // A KeyValue under 128 bytes, as nearly all are.
                at += b;
                continue;
            }

            var length = b & 0x7F;
            for (var shift = 7; ; shift += 7)
            {
                b = fields[at++];
                length |= (b & 0x7F) << shift;
                if (b < 0x80)
                {
                    break;
                }
            }

            at += length;
        }
    }

    /// <summary>Keeps <paramref name="encoded"/>, this list's <c>KeyValue</c> fields tagged <paramref name="tag"/>, for <see cref="TryCopyEncoded"/>.</summary>
    internal void KeepEncoded(ReadOnlySpan<byte> encoded, byte tag)
    {
        if (Interlocked.CompareExchange(ref _encodedState, EncodedWriting, EncodedNone) != EncodedNone)
        {
            return;
        }

        if (_encoded is null || _encoded.Length < encoded.Length)
        {
            if (_encoded is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(_encoded);
            }

            _encoded = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(encoded.Length, 1024));
        }

        encoded.CopyTo(_encoded);
        _encodedLength = encoded.Length;
        _encodedTag = tag;
        Volatile.Write(ref _encodedState, EncodedReady);
    }

    // Called only while no sink reads the list (before it is submitted, or once it is recycled).
    private void ForgetEncoded()
    {
        _encodedState = EncodedNone;
        if (_encoded is { Length: > 64 * 1024 } large)
        {
            // A huge record's buffer goes back; ordinary ones stay with the pooled list.
            System.Buffers.ArrayPool<byte>.Shared.Return(large);
            _encoded = null;
        }
    }

    /// <summary>Adds a string attribute (null: an attribute without value).</summary>
    public void Add(AttributeName name, string? value) =>
        Append(new Attribute(name, value is null ? AttributeKind.Null : AttributeKind.String, 0, value));

    /// <summary>Adds an integer attribute.</summary>
    public void Add(AttributeName name, long value) => Append(new Attribute(name, AttributeKind.Int, value, null));

    /// <summary>Adds a boolean attribute.</summary>
    public void Add(AttributeName name, bool value) => Append(new Attribute(name, AttributeKind.Bool, value ? 1 : 0, null));

    /// <summary>Adds a double attribute.</summary>
    public void Add(AttributeName name, double value) => Append(new Attribute(name, AttributeKind.Double, BitConverter.DoubleToInt64Bits(value), null));

    /// <summary>Adds a string-array attribute.</summary>
    public void Add(AttributeName name, string[] values) => Append(new Attribute(name, AttributeKind.Strings, 0, values));

    /// <summary>Adds a string-array attribute of one string, without allocating the array.</summary>
    public void AddSingleton(AttributeName name, string value) => Append(new Attribute(name, AttributeKind.Strings, 0, value));

    /// <summary>Adds an attribute unless <paramref name="value"/> is null or empty.</summary>
    public void AddIfPresent(AttributeName name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            Add(name, value);
        }
    }

    /// <summary>Adds an attribute unless <paramref name="value"/> is null.</summary>
    public void AddIfKnown(AttributeName name, long? value)
    {
        if (value is { } v)
        {
            Add(name, v);
        }
    }

    /// <summary>Adds an attribute unless <paramref name="value"/> is null.</summary>
    public void AddIfKnown(AttributeName name, int? value) => AddIfKnown(name, (long?)value);

    /// <summary>Adds an attribute unless <paramref name="value"/> is null.</summary>
    public void AddIfKnown(AttributeName name, bool? value)
    {
        if (value is { } v)
        {
            Add(name, v);
        }
    }

    /// <summary>Adds every attribute of <paramref name="other"/>, in order.</summary>
    public void AddRange(AttributeList other)
    {
        foreach (var attribute in other.Items)
        {
            Append(attribute);
        }
    }

    /// <summary>Adds an attribute by name and boxed value: for code off the hot path and tests.</summary>
    public void Add(string name, object? value)
    {
        var key = AttributeName.Of(name);
        switch (value)
        {
            case null:
                Add(key, (string?)null);
                break;
            case string s:
                Add(key, s);
                break;
            case bool b:
                Add(key, b);
                break;
            case long or int or short or sbyte or byte or ushort or uint:
                Add(key, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case double d:
                Add(key, d);
                break;
            case float f:
                Add(key, (double)f);
                break;
            case string[] strings:
                Add(key, strings);
                break;
            case IEnumerable<string> sequence:
                Add(key, sequence.ToArray());
                break;
            default:
                Add(key, Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    /// <summary>Adds a name-value pair (collection expressions, tests).</summary>
    public void Add(KeyValuePair<string, object?> pair) => Add(pair.Key, pair.Value);

    /// <summary>Adds the pairs of <paramref name="pairs"/>, in order.</summary>
    public void AddRange(IEnumerable<KeyValuePair<string, object?>> pairs)
    {
        foreach (var (key, value) in pairs)
        {
            Add(key, value);
        }
    }

    /// <summary>What went wrong upstream and what the kernel saw on that connection or attempt (access record).</summary>
    public void AddUpstreamOutcome(Forwarding.UpstreamOutcome outcome)
    {
        Add(AttributeNames.GatewayUpstreamError, outcome.Error);
        if (outcome.Tuple is { } tuple)
        {
            Add(AttributeNames.GatewayUpstreamLocalPort, (long)tuple.LocalPort);
        }

        if (outcome.Facts is { } facts)
        {
            Add(AttributeNames.GatewayUpstreamPacketsOut, facts.PacketsOut);
            Add(AttributeNames.GatewayUpstreamPacketsIn, facts.PacketsIn);
            Add(AttributeNames.GatewayUpstreamRetransmitsOut, facts.RetransmitsOut);
            AddIfPresent(AttributeNames.GatewayUpstreamResetBy, facts.ResetBy);
        }
    }

    /// <summary>
    /// Adds the 5-tuple attributes of a connection seen from the gateway; <paramref name="peerPrivacy"/>,
    /// when given, writes the peer's address (a downstream client's) as the privacy setting asks.
    /// </summary>
    public void AddConnection(ConnectionTuple tuple, ClientAddressAnonymizer? peerPrivacy = null)
    {
        Add(AttributeNames.NetworkPeerAddress, peerPrivacy?.Apply(tuple.PeerAddress) ?? tuple.PeerAddress.ToString());
        Add(AttributeNames.NetworkPeerPort, (long)tuple.PeerPort);
        Add(AttributeNames.NetworkLocalAddress, tuple.LocalAddress.ToString());
        Add(AttributeNames.NetworkLocalPort, (long)tuple.LocalPort);
        Add(AttributeNames.NetworkTransport, SemanticConventions.TransportTcp);
        Add(AttributeNames.NetworkType, tuple.NetworkType);
    }

    /// <summary>Adds <c>wire.observed</c> and, when observed, the wire facts (handshake fields only when known).</summary>
    public void AddWire(WireFacts? facts)
    {
        Add(AttributeNames.WireObserved, facts is not null);
        if (facts is not { } observed)
        {
            return;
        }

        AddWireHandshake(observed);
        AddWireCounters(observed);
    }

    /// <summary>Adds <c>wire.observed</c> and, when observed, the facts that change as the connection goes on (counters).</summary>
    public void AddWireObserved(WireFacts? facts)
    {
        Add(AttributeNames.WireObserved, facts is not null);
        if (facts is { } observed)
        {
            AddWireCounters(observed);
        }
    }

    /// <summary>Adds the facts of the connection's handshake, which never change (only those known).</summary>
    public void AddWireHandshake(in WireFacts facts)
    {
        AddIfKnown(AttributeNames.WireIpTtl, facts.Ttl);
        AddIfKnown(AttributeNames.WireIpDscp, facts.Dscp);
        AddIfKnown(AttributeNames.WireIpEcn, facts.Ecn);
        AddIfKnown(AttributeNames.WireTcpWindow, facts.Window);
        AddIfKnown(AttributeNames.WireTcpMss, facts.Mss);
        AddIfKnown(AttributeNames.WireTcpWscale, facts.WindowScale);
        AddIfPresent(AttributeNames.WireTcpOptions, facts.Options);
        AddIfPresent(AttributeNames.WireTcpJa4t, facts.Ja4t);
        AddIfKnown(AttributeNames.WireIpDf, facts.DontFragment);
        AddIfKnown(AttributeNames.WireTcpHandshakeRttUs, facts.HandshakeRttUs);
    }

    private void AddWireCounters(in WireFacts facts)
    {
        Add(AttributeNames.WireIpTtlChanges, facts.TtlChanges);
        Add(AttributeNames.WireConnRetransmitsOut, facts.RetransmitsOut);
        Add(AttributeNames.WireConnZeroWindowIn, facts.ZeroWindowIn);
        Add(AttributeNames.WireConnZeroWindowOut, facts.ZeroWindowOut);
        AddIfPresent(AttributeNames.WireConnResetBy, facts.ResetBy);
        Add(AttributeNames.WireConnPacketsIn, facts.PacketsIn);
        Add(AttributeNames.WireConnPacketsOut, facts.PacketsOut);
        Add(AttributeNames.WireConnBytesIn, facts.BytesIn);
        Add(AttributeNames.WireConnBytesOut, facts.BytesOut);
    }

    /// <summary>Adds the <c>wire.request.*</c> deltas of one request, when the wire was observed.</summary>
    public void AddWireRequest(WireRequestDelta? delta)
    {
        if (delta is not { } d)
        {
            return;
        }

        Add(AttributeNames.WireRequestPacketsIn, d.PacketsIn);
        Add(AttributeNames.WireRequestPacketsOut, d.PacketsOut);
        Add(AttributeNames.WireRequestBytesIn, d.BytesIn);
        Add(AttributeNames.WireRequestBytesOut, d.BytesOut);
        Add(AttributeNames.WireRequestRetransmitsOut, d.RetransmitsOut);
    }

    /// <summary>The value (boxed) of the first attribute named <paramref name="name"/>, or null.</summary>
    public object? Find(string name)
    {
        foreach (var attribute in Flattened())
        {
            if (attribute.Name.Name == name)
            {
                return attribute.Boxed;
            }
        }

        return null;
    }

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        foreach (var attribute in Flattened())
        {
            yield return new(attribute.Name.Name, attribute.Boxed);
        }
    }

    /// <inheritdoc />
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private void Append(in Attribute attribute)
    {
        if (_encodedState != EncodedNone)
        {
            ForgetEncoded();
        }

        if (_count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        _items[_count++] = attribute;
    }
}

using System.Collections;
using System.Globalization;
using Gateway.Telemetry.Records;

namespace Gateway.Telemetry;

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

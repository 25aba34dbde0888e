using Gateway.Telemetry.Otlp;

namespace Gateway.Telemetry.Records;

/// <summary>
/// One batch's bytes in a buffer that is reused: the records one after the other, inside
/// whatever the sink wrote around them (an OTLP export request's envelope).
/// </summary>
internal sealed class EncodedBatch
{
    private const int Idle = 0;
    private const int Writing = 1;
    private const int Sealed = 2;

    // Room beyond the limit: the record that crosses it is written before it is moved to the next batch.
    private const int Slack = 64 * 1024;

    private readonly int _capacity;
    private int _state = Sealed;

    /// <summary>Items (spans, log records) its records hold.</summary>
    public int Items;

    /// <summary>A batch whose buffer holds <paramref name="capacity"/> bytes of records (and one more record) before it grows.</summary>
    public EncodedBatch(int capacity)
    {
        _capacity = capacity + Slack;
        Writer = new ProtoWriter(_capacity);
    }

    /// <summary>The buffer.</summary>
    public ProtoWriter Writer { get; }

    /// <summary>Where the records start (after what the sink wrote around them).</summary>
    public int Start { get; set; }

    /// <summary>Positions the sink keeps while the batch is open (an OTLP envelope's open messages).</summary>
    public (int Outer, int Inner) Frame { get; set; }

    /// <summary>The bytes, as they are sent once the batch is closed.</summary>
    public ReadOnlyMemory<byte> Bytes => Writer.Written;

    /// <summary>Empties it for a new batch, owned by the caller for its first record.</summary>
    public void OpenForWriting()
    {
        Items = 0;
        Volatile.Write(ref _state, Writing);
    }

    /// <summary>Claims it for one record (or for closing it); false when it is being written or closed.</summary>
    public bool TryStartWriting() => Interlocked.CompareExchange(ref _state, Writing, Idle) == Idle;

    /// <summary>Lets it go after a record: a plain store, with no fence on the request's path.</summary>
    public void StopWriting() => Volatile.Write(ref _state, Idle);

    /// <summary>Marks it closed: nothing writes into it any more.</summary>
    public void Seal() => Volatile.Write(ref _state, Sealed);

    /// <summary>Empties it after its export; false when a record over the limit grew it (it is not kept then).</summary>
    public bool Reset()
    {
        Items = 0;
        Start = 0;
        if (Writer.Capacity > _capacity)
        {
            return false;
        }

        Writer.Reset();
        return true;
    }
}

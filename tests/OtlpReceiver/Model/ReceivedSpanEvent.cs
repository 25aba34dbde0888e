namespace OtlpReceiver;

/// <summary>One event of a received span.</summary>
public sealed class ReceivedSpanEvent
{
    /// <summary>The event name.</summary>
    public required string Name { get; init; }

    /// <summary>When the event happened, in nanoseconds since the Unix epoch.</summary>
    public required ulong TimeUnixNano { get; init; }

    /// <summary>The event attributes, converted as described on <see cref="ReceivedSpan.Attributes"/>.</summary>
    public required IReadOnlyDictionary<string, object?> Attributes { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Name} {Describe.Attributes(Attributes, 4)}";
}

namespace OtlpSink;

/// <summary>
/// Counts the items of one OTLP export request by walking its protobuf fields, without
/// decoding attributes: spans by kind, log records by event name, metrics and their data
/// points. Field numbers are those of opentelemetry-proto v1 (trace.proto, logs.proto,
/// metrics.proto). Used only with <c>--CountItems=true</c>: the bench rows measure the
/// gateway's export and must not wait on a receiver that parses.
/// </summary>
internal static class ItemCounter
{
    private const int Varint = 0;
    private const int Fixed64 = 1;
    private const int Delimited = 2;
    private const int Fixed32 = 5;

    /// <summary>Adds the items of an Export{Trace,Logs,Metrics}ServiceRequest body to <paramref name="counts"/>.</summary>
    public static void Count(string signal, ReadOnlySpan<byte> request, SignalCounts counts)
    {
        // Export*ServiceRequest { repeated Resource* = 1 } ; Resource* { resource = 1; repeated Scope* = 2 }
        // Scope* { scope = 1; repeated Span / LogRecord / Metric = 2 }
        foreach (var resource in Fields(request, 1))
        {
            foreach (var scope in Fields(resource, 2))
            {
                foreach (var item in Fields(scope, 2))
                {
                    switch (signal)
                    {
                        case "traces":
                            counts.Add("span." + SpanKind(item), 1);
                            break;
                        case "logs":
                            counts.Add("log." + EventName(item), 1);
                            break;
                        default:
                            counts.Add("metric", 1);
                            counts.Add("metric.data_points", DataPoints(item));
                            break;
                    }
                }
            }
        }
    }

    // Span.kind = 6 (SPAN_KIND_INTERNAL 1, SERVER 2, CLIENT 3, PRODUCER 4, CONSUMER 5).
    private static string SpanKind(ReadOnlySpan<byte> span)
    {
        ulong kind = 0;
        var at = 0;
        while (at < span.Length)
        {
            var (field, type) = Tag(span, ref at);
            if (field == 6 && type == Varint)
            {
                kind = ReadVarint(span, ref at);
                continue;
            }

            Skip(span, ref at, type);
        }

        return kind switch { 1 => "internal", 2 => "server", 3 => "client", 4 => "producer", 5 => "consumer", _ => "unspecified" };
    }

    // LogRecord.event_name = 12.
    private static string EventName(ReadOnlySpan<byte> log)
    {
        foreach (var name in Fields(log, 12))
        {
            return System.Text.Encoding.UTF8.GetString(name);
        }

        return "(none)";
    }

    // Metric { gauge = 5; sum = 7; histogram = 9; exponential_histogram = 10; summary = 11 }, each { repeated data_points = 1 }.
    private static long DataPoints(ReadOnlySpan<byte> metric)
    {
        long points = 0;
        foreach (var kind in new[] { 5, 7, 9, 10, 11 })
        {
            foreach (var data in Fields(metric, kind))
            {
                foreach (var _ in Fields(data, 1))
                {
                    points++;
                }
            }
        }

        return points;
    }

    /// <summary>The bodies of every length-delimited field <paramref name="number"/> of a message, in order.</summary>
    private static FieldEnumerator Fields(ReadOnlySpan<byte> message, int number) => new(message, number);

    private ref struct FieldEnumerator(ReadOnlySpan<byte> message, int number)
    {
        private readonly ReadOnlySpan<byte> _message = message;
        private int _at;

        public ReadOnlySpan<byte> Current { get; private set; }

        public readonly FieldEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            while (_at < _message.Length)
            {
                var (field, type) = Tag(_message, ref _at);
                if (field == number && type == Delimited)
                {
                    var length = checked((int)ReadVarint(_message, ref _at));
                    Current = _message.Slice(_at, length);
                    _at += length;
                    return true;
                }

                Skip(_message, ref _at, type);
            }

            return false;
        }
    }

    private static (int Field, int Type) Tag(ReadOnlySpan<byte> data, ref int at)
    {
        var tag = ReadVarint(data, ref at);
        return ((int)(tag >> 3), (int)(tag & 7));
    }

    private static void Skip(ReadOnlySpan<byte> data, ref int at, int type)
    {
        switch (type)
        {
            case Varint:
                ReadVarint(data, ref at);
                break;
            case Fixed64:
                at += 8;
                break;
            case Delimited:
                // The length is read first: "at += ReadVarint(ref at)" would add it to at's value before the read.
                var length = checked((int)ReadVarint(data, ref at));
                at += length;
                break;
            case Fixed32:
                at += 4;
                break;
            default:
                throw new InvalidDataException($"protobuf wire type {type} at byte {at} is not one OTLP uses");
        }

        if (at > data.Length)
        {
            throw new InvalidDataException("a protobuf field runs past the end of its message");
        }
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (at >= data.Length)
            {
                throw new InvalidDataException("a protobuf varint runs past the end of its message");
            }

            var b = data[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new InvalidDataException("a protobuf varint is longer than 10 bytes");
    }
}

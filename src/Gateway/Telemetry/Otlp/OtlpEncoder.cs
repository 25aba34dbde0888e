using System.Buffers;
using System.Text;
using Gateway.Telemetry.Records;

namespace Gateway.Telemetry.Otlp;

/// <summary>
/// Encodes batches of records as OTLP protobuf: an <c>ExportTraceServiceRequest</c> of their
/// spans or an <c>ExportLogsServiceRequest</c> of their log records, straight from the
/// records (no intermediate objects). Field numbers are those of opentelemetry-proto v1.
/// </summary>
internal sealed class OtlpEncoder(AttributeList resource, string version)
{
    // KeyValue, AnyValue and ArrayValue.
    private const int KeyValueValue = 2;
    private const int AnyString = 1;
    private const int AnyBool = 2;
    private const int AnyInt = 3;
    private const int AnyDouble = 4;
    private const int AnyArray = 5;
    private const int ArrayValues = 1;

    // Span flags: bit 8 says whether bit 9 (parent is remote) is known.
    private const uint HasIsRemote = 0x100;
    private const uint IsRemote = 0x200;

    /// <summary>The resource every request carries (service.name and the rest).</summary>
    public AttributeList Resource { get; } = resource;

    /// <summary>
    /// Starts an <c>ExportTraceServiceRequest</c> or an <c>ExportLogsServiceRequest</c>: the
    /// resource and the scope, then the items follow (<see cref="Write(ProtoWriter, TelemetryRecord, TelemetrySignal)"/>,
    /// or their bytes copied) until <see cref="End"/>.
    /// </summary>
    public Envelope Begin(ProtoWriter writer, TelemetrySignal signal)
    {
        var resource = BeginResource(writer);
        var scope = writer.BeginMessage(2);
        WriteScope(writer, signal == TelemetrySignal.Traces ? SemanticConventions.SpanScopeName : RecordCategory);
        return new Envelope(resource, scope);
    }

    /// <summary>
    /// Opens the request's <c>ResourceSpans</c>, <c>ResourceLogs</c> or <c>ResourceMetrics</c> (field 1) and
    /// writes the resource, the same for every signal; close it with <see cref="ProtoWriter.EndMessage"/>.
    /// </summary>
    public int BeginResource(ProtoWriter writer)
    {
        var resource = writer.BeginMessage(1);
        WriteResource(writer);
        return resource;
    }

    /// <summary>
    /// Writes the items of <paramref name="record"/> for <paramref name="signal"/>: its spans or its log
    /// record (in its core form when <paramref name="core"/>: <see cref="AccessRecordFormPolicy"/>); returns how many.
    /// </summary>
    public static int Write(ProtoWriter writer, TelemetryRecord record, TelemetrySignal signal, bool core = false) =>
        signal == TelemetrySignal.Traces ? WriteSpans(writer, record) : WriteLog(writer, record, core);

    /// <summary>Closes the messages <paramref name="envelope"/> opened.</summary>
    public static void End(ProtoWriter writer, Envelope envelope)
    {
        writer.EndMessage(envelope.Scope);
        writer.EndMessage(envelope.Resource);
    }

    /// <summary>
    /// Writes the spans of <paramref name="record"/> as the <c>spans</c> fields of a
    /// <c>ScopeSpans</c> (nothing when its spans are not exported); returns how many.
    /// </summary>
    private static int WriteSpans(ProtoWriter writer, TelemetryRecord record)
    {
        if (!record.ExportSpans)
        {
            return 0;
        }

        foreach (var span in record.Spans)
        {
            WriteSpan(writer, span);
        }

        return record.Spans.Count;
    }

    /// <summary>Writes the log record of <paramref name="record"/> as a <c>log_records</c> field of a <c>ScopeLogs</c>; returns 1, or 0 when it has none.</summary>
    private static int WriteLog(ProtoWriter writer, TelemetryRecord record, bool core)
    {
        if (!record.HasLog)
        {
            return 0;
        }

        WriteLog(writer, record.Log, core);
        return 1;
    }

    /// <summary>The open messages of an export request: its resource and scope.</summary>
    public readonly record struct Envelope(int Resource, int Scope);

    /// <summary>The instrumentation scope of the log records (the logger category they had under the SDK).</summary>
    public const string RecordCategory = "Gateway.Records";

    /// <summary>
    /// Writes a list's attributes as fields <paramref name="field"/>. The bytes are encoded once
    /// per list and kept with it: an access record shares its server span's list, so its
    /// attributes cost a copy, not a second encoding (only the one-byte field tags differ).
    /// </summary>
    private static void WriteAttributes(ProtoWriter writer, int field, AttributeList attributes)
    {
        var tag = (byte)((field << 3) | ProtoWriter.Delimited);
        if (attributes.TryCopyEncoded(writer, tag))
        {
            return;
        }

        var start = writer.Length;
        var items = attributes.Items;
        var run = 0;
        for (var i = 0; i < items.Length; i++)
        {
            if (items[i].Kind == AttributeKind.Group)
            {
                // A connection's shared facts: encoded once for every request on it, then copied.
                WriteRun(writer, tag, items[run..i]);
                WriteAttributes(writer, field, items[i].Group);
                run = i + 1;
            }
        }

        WriteRun(writer, tag, items[run..]);
        attributes.KeepEncoded(writer.Since(start), tag);
    }

    /// <summary>
    /// Writes only the attributes marked <see cref="AttributeName.IsCore"/> (a core access record), groups
    /// included, as <c>KeyValue</c> fields with the one-byte tag <paramref name="tag"/>. Encoded afresh each time: a dozen short values at
    /// most, while the span's whole encoding is what is kept for copying.
    /// </summary>
    private static void WriteCoreAttributes(ProtoWriter writer, byte tag, AttributeList attributes)
    {
        var items = attributes.Items;
        for (var i = 0; i < items.Length; i++)
        {
            if (items[i].Kind == AttributeKind.Group)
            {
                WriteCoreAttributes(writer, tag, items[i].Group);
            }
            else if (items[i].Name.IsCore)
            {
                WriteRun(writer, tag, items.Slice(i, 1));
            }
        }
    }

    /// <summary>Writes attributes (no groups among them) as <c>KeyValue</c> fields with the one-byte tag <paramref name="tag"/>.</summary>
    /// <remarks>
    /// One pass, front to back. A string is transcoded straight into the output behind a header
    /// laid out as if every enclosing length took one byte, which holds for the short values
    /// that make up nearly every record; a longer value is moved right once its UTF-8 size is
    /// known, so no string is read twice to measure it first.
    /// </remarks>
    internal static void WriteRun(ProtoWriter writer, byte tag, ReadOnlySpan<Attribute> items)
    {
        foreach (ref readonly var attribute in items)
        {
            switch (attribute.Kind)
            {
                case AttributeKind.String:
                    WriteString(writer, tag, attribute.Name.OtlpKey, attribute.String, inArray: false);
                    break;
                case AttributeKind.Strings when attribute.StringCount == 1:
                    WriteString(writer, tag, attribute.Name.OtlpKey, attribute.StringAt(0), inArray: true);
                    break;
                case AttributeKind.Strings:
                    WriteStrings(writer, tag, attribute);
                    break;
                case AttributeKind.Bool:
                case AttributeKind.Int:
                case AttributeKind.Double:
                    WriteScalar(writer, tag, attribute);
                    break;
            }
        }
    }

    // Bytes of a length-delimited field with a one-byte tag around a body of `body` bytes.
    private static int Field(int body) => 1 + ProtoWriter.VarintSize((ulong)body) + body;

    // The start of a KeyValue field: its tag and length, the key, the AnyValue's tag and length; returns the bytes written.
    private static int KeyValueHeader(Span<byte> output, byte tag, byte[] key, int keyValue, int any)
    {
        var at = 0;
        output[at++] = tag;
        ProtoWriter.WriteVarint(output, ref at, (ulong)keyValue);
        key.CopyTo(output[at..]);
        at += key.Length;
        output[at++] = (KeyValueValue << 3) | ProtoWriter.Delimited;
        ProtoWriter.WriteVarint(output, ref at, (ulong)any);
        return at;
    }

    // A KeyValue whose value is a string, or (inArray) an array of that one string.
    private static void WriteString(ProtoWriter writer, byte tag, byte[] key, string value, bool inArray)
    {
        // Header bytes when every length takes one byte: tag, KeyValue length, key, AnyValue tag and
        // length, [ArrayValue tag and length, element tag and length,] string tag and length.
        var guess = key.Length + (inArray ? 10 : 6);
        var output = writer.Reserve(guess + 15 + (value.Length * 3));
        var bytes = Utf8(value, output[guess..]);
        var text = Field(bytes);
        var element = inArray ? Field(text) : 0;
        var array = inArray ? Field(element) : 0;
        var any = inArray ? array : text;
        var keyValue = key.Length + Field(any);
        var total = Field(keyValue);
        var header = total - bytes;
        if (header != guess)
        {
            // A long value: its lengths take more bytes than guessed.
            output.Slice(guess, bytes).CopyTo(output[header..]);
        }

        var at = KeyValueHeader(output, tag, key, keyValue, any);
        if (inArray)
        {
            output[at++] = (AnyArray << 3) | ProtoWriter.Delimited;
            ProtoWriter.WriteVarint(output, ref at, (ulong)element);
            output[at++] = (ArrayValues << 3) | ProtoWriter.Delimited;
            ProtoWriter.WriteVarint(output, ref at, (ulong)text);
        }

        output[at++] = (AnyString << 3) | ProtoWriter.Delimited;
        ProtoWriter.WriteVarint(output, ref at, (ulong)bytes);
        writer.Advance(total);
    }

    // A value's UTF-8 into room for all of it: ASCII (nearly every value) by narrowing, anything
    // else through the encoder, which turns a lone surrogate into U+FFFD.
    private static int Utf8(string value, Span<byte> output) =>
        Ascii.FromUtf16(value, output, out var written) == OperationStatus.Done ? written : Encoding.UTF8.GetBytes(value, output);

    // A KeyValue whose value is a bool, an integer or a double: an AnyValue of at most 11 bytes.
    private static void WriteScalar(ProtoWriter writer, byte tag, in Attribute attribute)
    {
        var key = attribute.Name.OtlpKey;
        var any = attribute.Kind switch
        {
            AttributeKind.Bool => 2,
            AttributeKind.Int => 1 + ProtoWriter.VarintSize((ulong)attribute.Int),
            _ => 9,
        };
        var keyValue = key.Length + Field(any);
        var total = Field(keyValue);
        var output = writer.Reserve(total);
        var at = KeyValueHeader(output, tag, key, keyValue, any);
        switch (attribute.Kind)
        {
            case AttributeKind.Bool:
                output[at++] = AnyBool << 3;
                output[at] = attribute.Bool ? (byte)1 : (byte)0;
                break;
            case AttributeKind.Int:
                output[at++] = AnyInt << 3;
                ProtoWriter.WriteVarint(output, ref at, (ulong)attribute.Int);
                break;
            default:
                output[at++] = (AnyDouble << 3) | ProtoWriter.Fixed64;
                System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(output[at..], attribute.Bits);
                break;
        }

        writer.Advance(total);
    }

    // A KeyValue whose value is an array of several strings (a repeated header, the header order):
    // every element measured first, since the array's length comes before them.
    private static void WriteStrings(ProtoWriter writer, byte tag, in Attribute attribute)
    {
        var key = attribute.Name.OtlpKey;
        var count = attribute.StringCount;
        Span<int> sizes = count <= 64 ? stackalloc int[count] : new int[count];
        var array = 0;
        for (var j = 0; j < count; j++)
        {
            var value = attribute.StringAt(j);
            var bytes = Encoding.UTF8.GetByteCount(value);
            sizes[j] = bytes;
            array += Field(Field(bytes));
        }

        var any = Field(array);
        var keyValue = key.Length + Field(any);
        var total = Field(keyValue);
        var output = writer.Reserve(total);
        var at = KeyValueHeader(output, tag, key, keyValue, any);
        output[at++] = (AnyArray << 3) | ProtoWriter.Delimited;
        ProtoWriter.WriteVarint(output, ref at, (ulong)array);
        for (var j = 0; j < count; j++)
        {
            var bytes = sizes[j];
            output[at++] = (ArrayValues << 3) | ProtoWriter.Delimited;
            ProtoWriter.WriteVarint(output, ref at, (ulong)Field(bytes));
            output[at++] = (AnyString << 3) | ProtoWriter.Delimited;
            ProtoWriter.WriteVarint(output, ref at, (ulong)bytes);
            at += Utf8(attribute.StringAt(j), output[at..]);
        }

        writer.Advance(total);
    }

    private void WriteResource(ProtoWriter writer)
    {
        var message = writer.BeginMessage(1);
        WriteAttributes(writer, 1, Resource);
        writer.EndMessage(message);
    }

    private void WriteScope(ProtoWriter writer, string name)
    {
        var scope = writer.BeginMessage(1);
        writer.StringField(1, name);
        writer.StringField(2, version);
        writer.EndMessage(scope);
    }

    private static void WriteSpan(ProtoWriter writer, SpanData span)
    {
        Span<byte> id = stackalloc byte[16];
        var message = writer.BeginMessage(2);
        span.TraceId.WriteTo(id);
        writer.BytesField(1, id);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(id, span.SpanId);
        writer.BytesField(2, id[..8]);
        if (!string.IsNullOrEmpty(span.TraceState))
        {
            writer.StringField(3, span.TraceState);
        }

        if (span.ParentSpanId != 0)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(id, span.ParentSpanId);
            writer.BytesField(4, id[..8]);
        }

        writer.StringField(5, span.Name);
        writer.VarintField(6, (long)span.Kind);
        writer.Fixed64Field(7, (ulong)span.StartUnixNano);
        writer.Fixed64Field(8, (ulong)span.EndUnixNano);
        WriteAttributes(writer, 9, span.Attributes);
        foreach (var ev in span.Events())
        {
            var e = writer.BeginMessage(11);
            writer.Fixed64Field(1, (ulong)ev.TimeUnixNano);
            writer.StringField(2, ev.Name);
            WriteAttributes(writer, 3, ev.Attributes);
            writer.EndMessage(e);
        }

        if (span.Status != SpanStatusCode.Unset)
        {
            var status = writer.BeginMessage(15);
            if (!string.IsNullOrEmpty(span.StatusMessage))
            {
                writer.StringField(2, span.StatusMessage);
            }

            writer.VarintField(3, (long)span.Status);
            writer.EndMessage(status);
        }

        writer.Fixed32Field(16, span.TraceFlags | HasIsRemote | (span.ParentIsRemote ? IsRemote : 0));
        writer.EndMessage(message);
    }

    private static void WriteLog(ProtoWriter writer, LogData log, bool core)
    {
        var message = writer.BeginMessage(2);
        writer.Fixed64Field(1, (ulong)log.TimeUnixNano);
        writer.VarintField(2, log.Severity);
        writer.StringField(3, log.SeverityText);
        var body = writer.BeginMessage(5);
        log.WithBody(writer, static (w, text) => w.StringField(AnyString, text));
        writer.EndMessage(body);
        if (core)
        {
            WriteCoreAttributes(writer, (6 << 3) | ProtoWriter.Delimited, log.Attributes);
        }
        else
        {
            WriteAttributes(writer, 6, log.Attributes);
        }

        if (!log.TraceId.IsEmpty)
        {
            writer.Fixed32Field(8, log.TraceFlags);
            Span<byte> id = stackalloc byte[16];
            log.TraceId.WriteTo(id);
            writer.BytesField(9, id);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(id, log.SpanId);
            writer.BytesField(10, id[..8]);
        }

        writer.Fixed64Field(11, (ulong)log.TimeUnixNano);
        writer.StringField(12, log.EventName);
        writer.EndMessage(message);
    }
}

using System.Text;

namespace Gateway.Telemetry.Otlp;

/// <summary>
/// Reads the few things the exporter wants from a collector's answer: the partial success of an
/// <c>Export{Trace,Logs}ServiceResponse</c>, and the message of a <c>google.rpc.Status</c> that an
/// OTLP/HTTP collector sends with a failure. Unknown fields are skipped.
/// </summary>
internal static class OtlpResponseReader
{
    /// <summary>Texts from the collector are cut to this many characters before they go into diagnostics.</summary>
    public const int MaxMessageLength = 256;

    // Export{Trace,Logs}ServiceResponse.partial_success; in it rejected_{spans,log_records} and error_message.
    private const int PartialSuccessField = 1;
    private const int RejectedField = 1;
    private const int ErrorMessageField = 2;

    // google.rpc.Status.message.
    private const int StatusMessageField = 2;

    /// <summary>
    /// Reads the partial success of an export response. An empty response, or one without the field,
    /// is full success (0 rejected, no message). False when the bytes are not a well-formed message.
    /// </summary>
    public static bool TryReadPartialSuccess(ReadOnlySpan<byte> response, out long rejected, out string? errorMessage)
    {
        rejected = 0;
        errorMessage = null;
        var reader = new ProtobufWireReader(response);
        while (!reader.AtEnd)
        {
            if (!reader.TryReadTag(out var field, out var wireType))
            {
                return false;
            }

            if (field == PartialSuccessField && wireType == ProtobufWireReader.LengthDelimited)
            {
                // A repeated occurrence of a message field merges into the first: later scalars win.
                if (!reader.TryReadLengthDelimited(out var partial) || !TryReadPartial(partial, ref rejected, ref errorMessage))
                {
                    return false;
                }
            }
            else if (!reader.TrySkip(wireType))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The <c>message</c> of a serialized <c>google.rpc.Status</c>; null when absent, empty or malformed.</summary>
    public static string? StatusMessage(ReadOnlySpan<byte> status)
    {
        string? message = null;
        var reader = new ProtobufWireReader(status);
        while (!reader.AtEnd)
        {
            if (!reader.TryReadTag(out var field, out var wireType))
            {
                return null;
            }

            if (field == StatusMessageField && wireType == ProtobufWireReader.LengthDelimited)
            {
                if (!reader.TryReadLengthDelimited(out var text))
                {
                    return null;
                }

                message = Text(text);
            }
            else if (!reader.TrySkip(wireType))
            {
                return null;
            }
        }

        return string.IsNullOrEmpty(message) ? null : message;
    }

    /// <summary>UTF-8 text from the collector, cut to <see cref="MaxMessageLength"/> characters.</summary>
    public static string Text(ReadOnlySpan<byte> utf8)
    {
        // Four bytes are at most one character (two UTF-16 units): decode no more than can be kept.
        var text = Encoding.UTF8.GetString(utf8[..Math.Min(utf8.Length, MaxMessageLength * 4)]);
        return text.Length <= MaxMessageLength ? text : text[..MaxMessageLength] + "…";
    }

    private static bool TryReadPartial(ReadOnlySpan<byte> partial, ref long rejected, ref string? errorMessage)
    {
        var reader = new ProtobufWireReader(partial);
        while (!reader.AtEnd)
        {
            if (!reader.TryReadTag(out var field, out var wireType))
            {
                return false;
            }

            if (field == RejectedField && wireType == ProtobufWireReader.Varint)
            {
                if (!reader.TryReadVarint(out var count))
                {
                    return false;
                }

                rejected = (long)count;
            }
            else if (field == ErrorMessageField && wireType == ProtobufWireReader.LengthDelimited)
            {
                if (!reader.TryReadLengthDelimited(out var text))
                {
                    return false;
                }

                errorMessage = text.IsEmpty ? null : Text(text);
            }
            else if (!reader.TrySkip(wireType))
            {
                return false;
            }
        }

        return true;
    }
}

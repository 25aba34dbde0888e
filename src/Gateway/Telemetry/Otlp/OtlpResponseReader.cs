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

    // google.rpc.Status.message and .details (google.protobuf.Any: type_url 1, value 2).
    private const int StatusMessageField = 2;
    private const int StatusDetailsField = 3;

    // The Any type URL of google.rpc.RetryInfo, whose field 1 is a google.protobuf.Duration (seconds 1, nanos 2).
    private const string RetryInfoType = "/google.rpc.RetryInfo";

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

    /// <summary>
    /// The <c>retry_delay</c> of the first <c>google.rpc.RetryInfo</c> among the <c>details</c> of a serialized
    /// <c>google.rpc.Status</c> (what gRPC sends in <c>grpc-status-details-bin</c>). False when there is none,
    /// the bytes are malformed, or the delay is negative.
    /// </summary>
    public static bool TryReadRetryDelay(ReadOnlySpan<byte> status, out TimeSpan delay)
    {
        delay = default;
        var reader = new ProtobufWireReader(status);
        while (!reader.AtEnd)
        {
            if (!reader.TryReadTag(out var field, out var wireType))
            {
                return false;
            }

            if (field == StatusDetailsField && wireType == ProtobufWireReader.LengthDelimited)
            {
                if (!reader.TryReadLengthDelimited(out var any))
                {
                    return false;
                }

                if (TryReadAny(any, out var typeUrl, out var value) && typeUrl.EndsWith(RetryInfoType, StringComparison.Ordinal))
                {
                    return TryReadRetryInfo(value, out delay);
                }
            }
            else if (!reader.TrySkip(wireType))
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>UTF-8 text from the collector, cut to <see cref="MaxMessageLength"/> characters.</summary>
    public static string Text(ReadOnlySpan<byte> utf8)
    {
        // Four bytes are at most one character (two UTF-16 units): decode no more than can be kept.
        var text = Encoding.UTF8.GetString(utf8[..Math.Min(utf8.Length, MaxMessageLength * 4)]);
        return text.Length <= MaxMessageLength ? text : text[..MaxMessageLength] + "…";
    }

    private static bool TryReadAny(ReadOnlySpan<byte> any, out string typeUrl, out ReadOnlySpan<byte> value)
    {
        typeUrl = "";
        value = default;
        var reader = new ProtobufWireReader(any);
        while (!reader.AtEnd)
        {
            if (!reader.TryReadTag(out var field, out var wireType))
            {
                return false;
            }

            if (field is 1 or 2 && wireType == ProtobufWireReader.LengthDelimited)
            {
                if (!reader.TryReadLengthDelimited(out var bytes))
                {
                    return false;
                }

                if (field == 1)
                {
                    typeUrl = Text(bytes);
                }
                else
                {
                    value = bytes;
                }
            }
            else if (!reader.TrySkip(wireType))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryReadRetryInfo(ReadOnlySpan<byte> retryInfo, out TimeSpan delay)
    {
        delay = TimeSpan.Zero;
        ReadOnlySpan<byte> duration = default;
        var reader = new ProtobufWireReader(retryInfo);
        while (!reader.AtEnd)
        {
            if (!reader.TryReadTag(out var field, out var wireType))
            {
                return false;
            }

            if (field == 1 && wireType == ProtobufWireReader.LengthDelimited)
            {
                if (!reader.TryReadLengthDelimited(out duration))
                {
                    return false;
                }
            }
            else if (!reader.TrySkip(wireType))
            {
                return false;
            }
        }

        long seconds = 0;
        long nanos = 0;
        var durationReader = new ProtobufWireReader(duration);
        while (!durationReader.AtEnd)
        {
            if (!durationReader.TryReadTag(out var field, out var wireType))
            {
                return false;
            }

            if (field is 1 or 2 && wireType == ProtobufWireReader.Varint)
            {
                if (!durationReader.TryReadVarint(out var number))
                {
                    return false;
                }

                if (field == 1)
                {
                    seconds = (long)number;
                }
                else
                {
                    // int32 nanos: a negative value arrives sign-extended to 64 bits.
                    nanos = (long)number;
                }
            }
            else if (!durationReader.TrySkip(wireType))
            {
                return false;
            }
        }

        // Anything beyond a day is as good as "not now"; negative durations are malformed.
        if (seconds < 0 || nanos < 0 || seconds > 86_400)
        {
            return false;
        }

        delay = TimeSpan.FromSeconds(seconds) + TimeSpan.FromTicks(nanos / 100);
        return true;
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

using System.Buffers;
using System.Text;
using System.Text.Json;
using Gateway.Telemetry;
using Gateway.Telemetry.Records;

namespace Gateway.Tests.Telemetry;

public sealed class JsonLineFormatterTests
{
    public static TheoryData<string, string> HostileValues => new()
    {
        { "controls", "a\u0000b\u0001c\u001fd\u007f" },
        { "escape", "\u001b[31mred\u001b[0m" },
        { "crlf", "first\r\n{\"event\":\"forged\"}\r\nlast" },
        { "lone-cr", "a\rb" },
        { "separators", "a\u2028b\u2029c\u0085d" },
        { "quotes", "\"}, \"x\": \"\\" },
        { "unicode", "é日本🎉" },
        { "very-long", new string('x', 200_000) + "\n" + new string('y', 10) },
    };

    [Theory]
    [MemberData(nameof(HostileValues))]
    public void Write_HostileValue_IsOneParsableLineThatRoundTrips(string label, string value)
    {
        var line = Format(("http.request.header.x-evil", new[] { value }), ("url.path", value));

        Assert.True(line.IndexOf('\n') == line.Length - 1, label);
        Assert.DoesNotContain('\r', line);
        Assert.DoesNotContain('\u2028', line);
        using var document = JsonDocument.Parse(line);
        var attributes = document.RootElement.GetProperty("attributes");
        Assert.Equal(value, attributes.GetProperty("url.path").GetString());
        Assert.Equal(value, attributes.GetProperty("http.request.header.x-evil")[0].GetString());
    }

    [Theory]
    [InlineData("lone high \ud800 end")]
    [InlineData("lone low \udc00 end")]
    [InlineData("\ud800")]
    [InlineData("reversed \udc00\ud800 pair")]
    public void Write_InvalidUtf16_IsReplacedAndLineStaysValid(string value)
    {
        var line = Format(("body.value", value));

        Assert.EndsWith("\n", line, StringComparison.Ordinal);
        Assert.Single(line.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var document = JsonDocument.Parse(line);
        var parsed = document.RootElement.GetProperty("attributes").GetProperty("body.value").GetString()!;
        Assert.Contains('\uFFFD', parsed);
        Assert.True(IsWellFormed(parsed));
    }

    [Fact]
    public void Write_Record_HasTheSchemaFieldsAndTypedAttributes()
    {
        var traceId = TraceId.NewRandom();
        var spanId = SpanIds.NewRandom();
        var buffer = new ArrayBufferWriter<byte>();

        JsonLineFormatter.Write(buffer, new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), "gateway.access", traceId, spanId, "GET / 200 1.0ms",
        [
            new("http.response.status_code", 200L),
            new("wire.observed", true),
            new("gateway.request.duration_ms", 1.5),
            new("http.request.header.accept", new[] { "a", "b" }),
        ]);

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        var root = document.RootElement;
        Assert.Equal("2026-01-02T03:04:05.0000000Z", root.GetProperty("time").GetString());
        Assert.Equal("gateway.access", root.GetProperty("event").GetString());
        Assert.Equal(traceId.ToHex(), root.GetProperty("trace_id").GetString());
        Assert.Equal(SpanIds.ToHex(spanId), root.GetProperty("span_id").GetString());
        Assert.Equal("GET / 200 1.0ms", root.GetProperty("body").GetString());
        var attributes = root.GetProperty("attributes");
        Assert.Equal(200, attributes.GetProperty("http.response.status_code").GetInt32());
        Assert.True(attributes.GetProperty("wire.observed").GetBoolean());
        Assert.Equal(1.5, attributes.GetProperty("gateway.request.duration_ms").GetDouble());
        Assert.Equal(JsonValueKind.Array, attributes.GetProperty("http.request.header.accept").ValueKind);
    }

    [Fact]
    public void Write_NoTrace_WritesNullIds()
    {
        var line = Format();

        using var document = JsonDocument.Parse(line);
        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("trace_id").ValueKind);
        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("span_id").ValueKind);
    }

    private static bool IsWellFormed(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(s[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static string Format(params (string Key, object? Value)[] attributes)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var list = new AttributeList();
        foreach (var (key, value) in attributes)
        {
            list.Add(key, value);
        }

        JsonLineFormatter.Write(buffer, DateTime.UtcNow, "gateway.access", default, 0, "body", list);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}

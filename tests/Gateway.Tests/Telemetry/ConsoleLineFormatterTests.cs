using Gateway.Telemetry;

namespace Gateway.Tests.Telemetry;

public sealed class ConsoleLineFormatterTests
{
    private static AttributeList Access(string path, bool observed = false) =>
    [
        new("http.request.method", "GET"),
        new("url.path", path),
        new("http.response.status_code", 200L),
        new("gateway.route.id", "demo"),
        new("wire.observed", observed),
        new("gateway.request.duration_ms", 3.24),
    ];

    [Theory]
    [InlineData("/a\r\nGET /forged -> 200 1.0ms route=demo wire=off")]
    [InlineData("/a\rb")]
    [InlineData("/a\nb")]
    [InlineData("/a\u2028b")]
    [InlineData("/a\u0085b")]
    [InlineData("/a\u000bb\u000cc")]
    public void Format_LineBreakingCharacters_AreEscapedSoTheLineCannotBeSplit(string path)
    {
        var line = ConsoleLineFormatter.Format(Access(path));

        Assert.DoesNotContain('\r', line);
        Assert.DoesNotContain('\n', line);
        Assert.DoesNotContain('\u2028', line);
        Assert.DoesNotContain('\u0085', line);
        Assert.DoesNotContain('\u000b', line);
        Assert.Single(line.Split(['\r', '\n', '\u2028', '\u2029', '\u0085', '\u000b', '\u000c']));
    }

    [Fact]
    public void Format_CrLf_IsShownAsHexEscapes()
    {
        var line = ConsoleLineFormatter.Format(Access("/a\r\nb"));

        Assert.StartsWith(@"GET /a\x0D\x0Ab -> 200 3.2ms route=demo", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_TerminalEscapeAndBidiOverride_AreNeutralized()
    {
        var line = ConsoleLineFormatter.Format(Access("/\u001b[2J\u202Eevil"));

        Assert.DoesNotContain('\u001b', line);
        Assert.DoesNotContain('\u202E', line);
        Assert.Contains(@"\x1B[2J\u{202E}evil", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_Backslash_IsDoubledSoEscapesAreUnambiguous()
    {
        var line = ConsoleLineFormatter.Format(Access(@"/a\x0Db"));

        Assert.Contains(@"/a\\x0Db", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_ObservedWire_ShowsTtlMssAndCounters()
    {
        var attributes = Access("/api/hello", observed: true);
        attributes.Add("wire.ip.ttl", 64L);
        attributes.Add("wire.tcp.mss", 65483L);
        attributes.Add("wire.conn.packets_in", 3L);
        attributes.Add("wire.conn.bytes_in", 78L);
        attributes.Add("wire.conn.packets_out", 2L);
        attributes.Add("wire.conn.bytes_out", 230L);

        var line = ConsoleLineFormatter.Format(attributes);

        Assert.Equal("GET /api/hello -> 200 3.2ms route=demo wire ttl=64 mss=65483 in=3/78B out=2/230B", line);
    }

    [Fact]
    public void Format_UnobservedWire_SaysWireOff()
    {
        Assert.Equal("GET /api/hello -> 200 3.2ms route=demo wire=off", ConsoleLineFormatter.Format(Access("/api/hello")));
    }
}

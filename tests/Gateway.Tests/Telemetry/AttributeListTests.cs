using Gateway.Telemetry;

namespace Gateway.Tests.Telemetry;

public sealed class AttributeListTests
{
    [Fact]
    public void Add_TypedValues_ReadBackInOrderWithTheirTypes()
    {
        var attributes = new AttributeList(2)
        {
            { "http.request.method", "GET" },
            { "http.response.status_code", 200 },
            { "http.request.header.accept", new[] { "*/*" } },
            { "wire.observed", true },
            { "gateway.request.duration_ms", 1.25 },
        };
        attributes.AddSingleton(SemanticConventions.UrlPath, "/one");

        Assert.Equal(["http.request.method", "http.response.status_code", "http.request.header.accept", "wire.observed", "gateway.request.duration_ms", "url.path"],
            attributes.Select(a => a.Key));
        Assert.Equal("GET", attributes[0].Value);
        Assert.Equal(200L, attributes[1].Value);
        Assert.Equal(new[] { "*/*" }, attributes[2].Value);
        Assert.Equal(true, attributes[3].Value);
        Assert.Equal(1.25, attributes[4].Value);
        Assert.Equal(new[] { "/one" }, attributes[5].Value);
        Assert.Equal(AttributeKind.Strings, attributes.Items[5].Kind);
        Assert.Equal(1, attributes.Items[5].StringCount);
    }

    [Fact]
    public void Clear_KeepsStorage_AndTheListIsEmpty()
    {
        var attributes = new AttributeList { { "url.path", "/" }, { "error.type", null } };
        Assert.Equal(AttributeKind.Null, attributes.Items[1].Kind);

        attributes.Clear();

        Assert.Empty(attributes);
        Assert.Null(attributes.Find("url.path"));
    }

    [Fact]
    public void Group_ReadsAsIfItsAttributesWereAddedInPlace()
    {
        var shared = new AttributeList { { "network.peer.address", "198.18.0.7" }, { "wire.ip.ttl", 61L } };
        var attributes = new AttributeList { { "http.request.method", "GET" } };
        attributes.AddGroup(shared);
        attributes.Add("wire.conn.packets_in", 3L);

        Assert.Equal(4, attributes.Count);
        Assert.Equal(["http.request.method", "network.peer.address", "wire.ip.ttl", "wire.conn.packets_in"], attributes.Select(a => a.Key));
        Assert.Equal(61L, attributes.Find("wire.ip.ttl"));
        Assert.Equal("198.18.0.7", attributes[1].Value);

        var line = new System.Buffers.ArrayBufferWriter<byte>();
        JsonLineFormatter.Write(line, DateTime.UtcNow, "gateway.access", default, 0, "body", attributes);
        using var json = System.Text.Json.JsonDocument.Parse(line.WrittenMemory);
        Assert.Equal(["http.request.method", "network.peer.address", "wire.ip.ttl", "wire.conn.packets_in"],
            json.RootElement.GetProperty("attributes").EnumerateObject().Select(p => p.Name));
    }
}

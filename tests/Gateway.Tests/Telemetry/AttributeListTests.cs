using System.Diagnostics;
using Gateway.Telemetry;

namespace Gateway.Tests.Telemetry;

public sealed class AttributeListTests
{
    [Fact]
    public void CopyTo_EveryAttribute_BecomesATagInOrderWithItsValue()
    {
        var attributes = new AttributeList
        {
            { "http.request.method", "GET" },
            { "http.response.status_code", 200L },
            { "http.request.header.accept", new[] { "*/*" } },
            { "wire.observed", true },
        };
        using var activity = new Activity("test").Start();

        attributes.CopyTo(activity);

        Assert.Equal(attributes.Select(a => a.Key), activity.TagObjects.Select(t => t.Key));
        Assert.Equal(attributes.Select(a => a.Value), activity.TagObjects.Select(t => t.Value));
    }

    [Fact]
    public void CopyTo_NullValue_IsNotATag()
    {
        var attributes = new AttributeList { { "error.type", null }, { "url.path", "/" } };
        using var activity = new Activity("test").Start();

        attributes.CopyTo(activity);

        Assert.Equal(["url.path"], activity.TagObjects.Select(t => t.Key));
    }
}

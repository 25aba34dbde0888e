using Gateway.Grpc;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Tests.Grpc;

public sealed class GrpcCallTests
{
    [Theory]
    [InlineData("application/grpc", true)]
    [InlineData("application/grpc+proto", true)]
    [InlineData("application/grpc-web+proto", true)]
    [InlineData("application/grpcx", false)]
    [InlineData("application/json", false)]
    [InlineData(null, false)]
    public void IsGrpc_ContentType(string? contentType, bool expected) => Assert.Equal(expected, GrpcCall.IsGrpc(contentType));

    [Theory]
    [InlineData("/helloworld.Greeter/SayHello", "helloworld.Greeter", "SayHello")]
    [InlineData("/Greeter/SayHello", "Greeter", "SayHello")]
    [InlineData("/a/b/c", null, null)]
    [InlineData("/Greeter/", null, null)]
    [InlineData("//SayHello", null, null)]
    [InlineData("/", null, null)]
    public void Split_Path(string path, string? service, string? method) => Assert.Equal((service, method), GrpcCall.Split(path));

    [Theory]
    [InlineData(503, 14)]
    [InlineData(502, 14)]
    [InlineData(404, 12)]
    [InlineData(401, 16)]
    [InlineData(200, 2)]
    public void Of_NoGrpcStatusAnywhere_TheStatusAClientDerivesFromHttp(int http, int expected)
    {
        var context = Grpc("/s.S/M");
        Assert.Equal(expected, GrpcCall.Of(context, http)!.Value.StatusCode);
    }

    [Fact]
    public void Of_TrailersWinOverHeadersAndHeadersServeATrailersOnlyResponse()
    {
        var context = Grpc("/s.S/M");
        context.Response.Headers["grpc-status"] = "5";
        Assert.Equal(new GrpcCall("s.S", "M", 5), GrpcCall.Of(context, 200));

        var trailers = new HttpResponseTrailersFeature();
        trailers.Trailers["grpc-status"] = "9";
        context.Features.Set<IHttpResponseTrailersFeature>(trailers);
        Assert.Equal(9, GrpcCall.Of(context, 200)!.Value.StatusCode);
    }

    [Fact]
    public void Of_NotGrpc_Null() => Assert.Null(GrpcCall.Of(new DefaultHttpContext(), 200));

    private static DefaultHttpContext Grpc(string path)
    {
        var context = new DefaultHttpContext();
        context.Request.Path = path;
        context.Request.ContentType = "application/grpc";
        return context;
    }

    private sealed class HttpResponseTrailersFeature : IHttpResponseTrailersFeature
    {
        public IHeaderDictionary Trailers { get; set; } = new HeaderDictionary();
    }
}

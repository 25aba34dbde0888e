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

    [Theory]
    [InlineData(0, "OK", false, false)]
    [InlineData(1, "CANCELLED", false, true)]
    [InlineData(2, "UNKNOWN", true, true)]
    [InlineData(3, "INVALID_ARGUMENT", false, true)]
    [InlineData(4, "DEADLINE_EXCEEDED", true, true)]
    [InlineData(5, "NOT_FOUND", false, true)]
    [InlineData(6, "ALREADY_EXISTS", false, true)]
    [InlineData(7, "PERMISSION_DENIED", false, true)]
    [InlineData(8, "RESOURCE_EXHAUSTED", false, true)]
    [InlineData(9, "FAILED_PRECONDITION", false, true)]
    [InlineData(10, "ABORTED", false, true)]
    [InlineData(11, "OUT_OF_RANGE", false, true)]
    [InlineData(12, "UNIMPLEMENTED", true, true)]
    [InlineData(13, "INTERNAL", true, true)]
    [InlineData(14, "UNAVAILABLE", true, true)]
    [InlineData(15, "DATA_LOSS", true, true)]
    [InlineData(16, "UNAUTHENTICATED", false, true)]
    [InlineData(17, "_OTHER", true, true)]
    [InlineData(4000, "_OTHER", true, true)]
    public void Status_ErrorForTheServerAndForTheClient_AsTheConventionsSay(int code, string name, bool serverError, bool clientError)
    {
        var call = new GrpcCall("s.S", "M", code);
        Assert.Equal((serverError, clientError), (call.IsServerError, call.IsClientError));
        Assert.Equal(name, call.ErrorType);
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

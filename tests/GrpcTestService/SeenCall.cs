namespace GrpcTestService;

/// <summary>One call as the backend saw it.</summary>
/// <param name="Method">The full method, e.g. <c>/gateway.test.Echo/Unary</c>.</param>
/// <param name="RemotePort">The port of the connection the call came in on: the gateway's upstream connection.</param>
/// <param name="Protocol">The HTTP protocol of the call, e.g. <c>HTTP/2</c>.</param>
/// <param name="Authorization">The <c>authorization</c> metadata the call carried, if any.</param>
/// <param name="CallId">The <c>x-call-id</c> metadata the call carried, if any.</param>
public sealed record SeenCall(string Method, int RemotePort, string Protocol, string? Authorization, string? CallId);

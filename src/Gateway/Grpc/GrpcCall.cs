using System.Globalization;
using Gateway.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Grpc;

/// <summary>
/// What a finished request says about the gRPC call it carried: the service and method from
/// its path, and the status the client was given.
/// </summary>
/// <param name="Service">The full service name (<c>package.Service</c>); null when the path is not <c>/Service/Method</c>.</param>
/// <param name="Method">The method name; null with <see cref="Service"/>.</param>
/// <param name="StatusCode">The gRPC status code (0 OK ... 16 UNAUTHENTICATED).</param>
internal readonly record struct GrpcCall(string? Service, string? Method, int StatusCode)
{
    /// <summary>The <c>CANCELLED</c> status: the client went away before the call ended.</summary>
    public const int Cancelled = 1;

    /// <summary>The <c>UNKNOWN</c> status.</summary>
    public const int Unknown = 2;

    /// <summary>The <c>DEADLINE_EXCEEDED</c> status.</summary>
    public const int DeadlineExceeded = 4;

    /// <summary>The <c>UNIMPLEMENTED</c> status.</summary>
    public const int Unimplemented = 12;

    /// <summary>The <c>INTERNAL</c> status.</summary>
    public const int Internal = 13;

    /// <summary>The <c>UNAVAILABLE</c> status.</summary>
    public const int Unavailable = 14;

    /// <summary>The <c>DATA_LOSS</c> status.</summary>
    public const int DataLoss = 15;

    /// <summary>The <c>rpc.system</c> value.</summary>
    public const string System = "grpc";

    /// <summary>The <c>error.type</c> of a status outside the 17 that gRPC defines.</summary>
    public const string OtherError = "_OTHER";

    private const string StatusHeader = "grpc-status";

    // The names gRPC gives its codes (doc/statuscodes.md), indexed by code: the error.type of a failed call.
    private static readonly string[] Names =
    [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
        "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
        "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    ];

    /// <summary>
    /// True when the call failed as its server sees it (OpenTelemetry's gRPC conventions, server span):
    /// UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS, and a code gRPC does not
    /// define. The others (CANCELLED, NOT_FOUND, PERMISSION_DENIED, ...) are the caller's doing or an answer.
    /// </summary>
    public bool IsServerError => StatusCode is Unknown or DeadlineExceeded or Unimplemented or Internal or Unavailable or DataLoss || !IsDefined;

    /// <summary>True when the call failed as its client sees it (the conventions' client span): any status but OK.</summary>
    public bool IsClientError => StatusCode != 0;

    /// <summary>
    /// The <c>error.type</c> of a failed call: the status's name (<c>DEADLINE_EXCEEDED</c>), as the conventions
    /// ask, or <see cref="OtherError"/> for any code gRPC does not define, so that a backend's stray codes add no values.
    /// </summary>
    public string ErrorType => IsDefined ? Names[StatusCode] : OtherError;

    private bool IsDefined => (uint)StatusCode < (uint)Names.Length;

    /// <summary>The call carried by <paramref name="context"/> once its response ended; null when the request is not gRPC.</summary>
    /// <param name="context">The finished request.</param>
    /// <param name="status">The HTTP status the client was sent.</param>
    public static GrpcCall? Of(HttpContext context, int status)
    {
        if (!IsGrpc(context.Request.ContentType))
        {
            return null;
        }

        var (service, method) = Split(context.Request.Path.Value);
        return new GrpcCall(service, method, Status(context, status));
    }

    /// <summary>Writes the call as the <c>rpc.*</c> attributes (on the server span and on the upstream attempt's client span).</summary>
    public void AddTo(AttributeList attributes)
    {
        attributes.Add(SemanticConventions.RpcSystem, System);
        attributes.AddIfPresent(SemanticConventions.RpcService, Service);
        attributes.AddIfPresent(SemanticConventions.RpcMethod, Method);
        attributes.Add(SemanticConventions.RpcGrpcStatusCode, (long)StatusCode);
    }

    /// <summary>True for <c>application/grpc</c> and its <c>+proto</c>, <c>+json</c>, <c>-web</c> forms.</summary>
    public static bool IsGrpc(string? contentType) =>
        contentType is not null && contentType.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase)
        && (contentType.Length == 16 || contentType[16] is '+' or ';' or '-');

    /// <summary><c>/package.Service/Method</c> split in two; nulls when the path has another shape.</summary>
    public static (string? Service, string? Method) Split(string? path)
    {
        if (path is null || path.Length < 4 || path[0] != '/')
        {
            return (null, null);
        }

        int slash = path.IndexOf('/', 1);
        if (slash <= 1 || slash == path.Length - 1 || path.IndexOf('/', slash + 1) >= 0)
        {
            return (null, null);
        }

        return (path[1..slash], path[(slash + 1)..]);
    }

    /// <summary>
    /// The status the client was given: from the trailers, or from the headers of a trailers-only
    /// response; CANCELLED when the client went away first; otherwise what a gRPC client makes
    /// of the HTTP status (the mapping of gRPC's <c>http-grpc-status-mapping.md</c>).
    /// </summary>
    private static int Status(HttpContext context, int status)
    {
        if (Parse(context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers) is { } fromTrailers)
        {
            return fromTrailers;
        }

        if (Parse(context.Response.Headers) is { } fromHeaders)
        {
            return fromHeaders;
        }

        if (context.RequestAborted.IsCancellationRequested)
        {
            return Cancelled;
        }

        return status switch
        {
            200 => Unknown, // a response that ended without grpc-status
            400 => Internal,
            401 => 16,
            403 => 7,
            404 => 12,
            429 or 502 or 503 or 504 => Unavailable,
            _ => Unknown,
        };
    }

    private static int? Parse(IHeaderDictionary? headers) =>
        headers is not null && headers.TryGetValue(StatusHeader, out var value)
        && int.TryParse(value.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : null;
}

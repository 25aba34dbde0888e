using System.Net.Sockets;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Forwarding;

/// <summary>
/// The values of <c>gateway.upstream.error</c>: what went wrong on the upstream leg, in the
/// terms an operator searches for (the backend refused, did not answer the SYN, reset the
/// connection, answered too slowly), rather than YARP's stage names.
/// </summary>
internal static class UpstreamErrors
{
    /// <summary>The backend answered the SYN with a RST (nothing listening).</summary>
    public const string ConnectionRefused = "connection_refused";

    /// <summary>No SYN-ACK before the connect timeout: the SYNs were sent again and again.</summary>
    public const string ConnectTimeout = "connect_timeout";

    /// <summary>A connect failed for another reason.</summary>
    public const string ConnectFailed = "connect_failed";

    /// <summary>The backend reset (or closed) the connection before or while answering.</summary>
    public const string ConnectionReset = "connection_reset";

    /// <summary>The backend sent nothing for longer than the route's activity timeout.</summary>
    public const string ResponseTimeout = "response_timeout";

    /// <summary>What went wrong upstream for a request YARP reported <paramref name="error"/> for.</summary>
    public static string Of(IForwarderErrorFeature error, FailedConnect? connect)
    {
        if (connect is not null && error.Error is ForwarderError.Request or ForwarderError.RequestTimedOut)
        {
            return connect.Error;
        }

        if (error.Error == ForwarderError.RequestTimedOut)
        {
            return ResponseTimeout;
        }

        for (var e = error.Exception; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted })
            {
                return ConnectionReset;
            }

            if (e is HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded })
            {
                return ConnectionReset;
            }

            if (e is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
            {
                return ConnectionRefused;
            }
        }

        return Snake(error.Error.ToString());
    }

    /// <summary><c>ConnectionRefused</c> → <c>connection_refused</c>.</summary>
    public static string Snake(string name) => Telemetry.SnakeCase.Of(name);
}

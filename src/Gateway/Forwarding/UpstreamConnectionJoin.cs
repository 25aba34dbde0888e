namespace Gateway.Forwarding;

/// <summary>
/// The ambient holder of the request being forwarded. The proxy pipeline sets it before
/// handing the request to YARP; SocketsHttpHandler then writes the request and reads the
/// response on the same async flow, so the connection stream finds the holder here.
/// </summary>
internal static class UpstreamConnectionJoin
{
    private static readonly AsyncLocal<UpstreamConnectionHolder?> Holder = new();

    /// <summary>The holder of the request on this async flow, if any.</summary>
    public static UpstreamConnectionHolder? Current => Holder.Value;

    /// <summary>Makes <paramref name="holder"/> current for the rest of the caller's async flow.</summary>
    /// <remarks>
    /// An AsyncLocal set inside an async method reverts when that method returns, so the
    /// caller needs no undo step; the value only flows to what the caller awaits.
    /// </remarks>
    public static void Begin(UpstreamConnectionHolder holder) => Holder.Value = holder;
}

namespace Gateway.Correlation;

/// <summary>
/// A request's share of its connection's counters: the <c>wire.request.*</c> figures, or why
/// they are left out (<c>wire.request.omitted</c>), or neither yet (<see cref="Pending"/>: the
/// response is still leaving the gateway, or its last segment may still be sent again).
/// </summary>
/// <param name="Delta">What moved for this request alone; null when left out or not observed.</param>
/// <param name="Omitted">A <see cref="WireRequestOmitted"/> reason when the figures can't be true; null otherwise.</param>
/// <param name="Pending">True while the response's segments are not settled (its last bytes have not left, or may still be sent again): ask again later.</param>
public readonly record struct WireRequestShare(WireRequestDelta? Delta, string? Omitted, bool Pending)
{
    /// <summary>The wire was not observed: no figures, nothing to say why (<c>wire.observed=false</c> does).</summary>
    public static WireRequestShare NotObserved => default;

    /// <summary>Still waiting for the response to leave.</summary>
    public static WireRequestShare Waiting => new(null, null, true);

    /// <summary>Left out, for <paramref name="reason"/>.</summary>
    public static WireRequestShare LeftOut(string reason) => new(null, reason, false);
}

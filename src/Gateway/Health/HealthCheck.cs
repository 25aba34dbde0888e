namespace Gateway.Health;

/// <summary>One thing a probe checked.</summary>
/// <param name="Name">What: <c>configuration</c>, <c>listeners</c>, <c>wire_view</c>, <c>records</c>.</param>
/// <param name="Passed">False makes the probe answer 503.</param>
/// <param name="Status">A word: <c>loaded</c>, <c>up</c>, <c>draining</c>, <c>on</c>, <c>degraded</c>, <c>off</c>, <c>moving</c>, <c>stuck</c>.</param>
/// <param name="Detail">Why, in a sentence a person can act on.</param>
public sealed record HealthCheck(string Name, bool Passed, string Status, string Detail);

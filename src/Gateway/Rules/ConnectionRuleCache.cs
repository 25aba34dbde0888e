namespace Gateway.Rules;

/// <summary>
/// One connection's results of the rules that read only what its handshake showed
/// (<see cref="RulePhase.Connection"/>): they are evaluated at its first request and reused by
/// every later one, until the configuration brings another rule set. The streams of one HTTP/2
/// connection may race to fill it: they compute the same results, the last write wins.
/// </summary>
public sealed class ConnectionRuleCache
{
    private Entry? _entry;

    /// <summary>The results of <paramref name="rules"/>' connection rules on this connection, or null when not evaluated under that set.</summary>
    internal RuleValue[]? ResultsOf(RuleSet rules) => Volatile.Read(ref _entry) is { } entry && ReferenceEquals(entry.Rules, rules) ? entry.Results : null;

    /// <summary>Keeps <paramref name="results"/> of <paramref name="rules"/>' connection rules.</summary>
    internal void Store(RuleSet rules, RuleValue[] results) => Volatile.Write(ref _entry, new Entry(rules, results));

    private sealed record Entry(RuleSet Rules, RuleValue[] Results);
}

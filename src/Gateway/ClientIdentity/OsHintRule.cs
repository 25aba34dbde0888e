namespace Gateway.ClientIdentity;

/// <summary>One row of <see cref="OsHintTable"/>: a SYN shape and the operating system whose default stack sends it.</summary>
/// <param name="InitialTtl">The initial TTL bucket (64, 128 or 255) the observed TTL counts down from.</param>
/// <param name="Options">The option kinds in wire order (<c>wire.tcp.options</c>); EOL kinds (<c>0</c>) after them are padding and may follow.</param>
/// <param name="Window">The raw window field, or null when any window matches.</param>
/// <param name="Os">The hint: <c>linux</c>, <c>windows</c> or <c>apple</c>.</param>
public sealed record OsHintRule(int InitialTtl, string Options, int? Window, string Os);

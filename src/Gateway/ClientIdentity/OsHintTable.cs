using Gateway.Correlation;

namespace Gateway.ClientIdentity;

/// <summary>
/// <c>gateway.client.os_hint</c>: which operating system's default TCP stack sent a connection's
/// SYN, from the initial TTL bucket and the window and option layout. The project's own small
/// table (not p0f's, not JA4T), three rows:
/// <list type="table">
/// <item><term>linux</term><description>TTL from 64; options <c>2-4-8-1-3</c> (MSS, SACK permitted, timestamps, NOP, window scale); Android too.</description></item>
/// <item><term>windows</term><description>TTL from 128; options <c>2-1-3-1-1-4</c> (MSS, NOP, window scale, NOP, NOP, SACK permitted: no timestamps).</description></item>
/// <item><term>apple</term><description>TTL from 64; window 65535; options <c>2-1-3-1-1-8-4</c> (macOS, iOS: MSS, NOP, window scale, NOP, NOP, timestamps, SACK permitted; then EOL padding).</description></item>
/// </list>
/// The options must be exactly the row's, EOL padding (<c>-0</c>) aside. Anything else is <c>unknown</c>, and so is a connection whose SYN was not seen (no hint at all then).
/// </summary>
/// <remarks>
/// A hint, not a verdict: a NAT or a proxy in between shows its own SYN, a tuned stack (sysctl,
/// registry) another layout, and a raw-socket tool can forge any of them.
/// </remarks>
public static class OsHintTable
{
    /// <summary>The hint when no row matches.</summary>
    public const string Unknown = "unknown";

    /// <summary>The Linux row's hint.</summary>
    public const string Linux = "linux";

    /// <summary>The Windows row's hint.</summary>
    public const string Windows = "windows";

    /// <summary>The Apple row's hint.</summary>
    public const string Apple = "apple";

    /// <summary>The rows, first match wins.</summary>
    public static IReadOnlyList<OsHintRule> Rules { get; } =
    [
        new(64, "2-4-8-1-3", null, Linux),
        new(128, "2-1-3-1-1-4", null, Windows),
        new(64, "2-1-3-1-1-8-4", 65535, Apple),
    ];

    /// <summary>The hint for a connection's wire facts; null when its handshake was not seen.</summary>
    public static string? Of(WireFacts? wire) =>
        wire is { Ttl: { } ttl, Options: { } options } facts ? Of(ttl, facts.Window, options) : null;

    /// <summary>The hint for a SYN with this TTL, window and option layout.</summary>
    public static string Of(int ttl, int? window, string options)
    {
        var bucket = InitialTtl(ttl);
        foreach (var rule in Rules)
        {
            if (rule.InitialTtl == bucket
                && (rule.Window is null || rule.Window == window)
                && options.StartsWith(rule.Options, StringComparison.Ordinal)
                && IsEolPadding(options.AsSpan(rule.Options.Length)))
            {
                return rule.Os;
            }
        }

        return Unknown;
    }

    // What may follow a row's options: nothing, or "-0" (EOL) any number of times.
    private static bool IsEolPadding(ReadOnlySpan<char> rest)
    {
        for (; rest.Length >= 2; rest = rest[2..])
        {
            if (rest[0] != '-' || rest[1] != '0' || (rest.Length > 2 && rest[2] != '-'))
            {
                return false;
            }
        }

        return rest.IsEmpty;
    }

    /// <summary>The initial TTL the observed one counts down from: the next of 64, 128, 255 at or above it.</summary>
    public static int InitialTtl(int ttl) => ttl <= 64 ? 64 : ttl <= 128 ? 128 : 255;
}

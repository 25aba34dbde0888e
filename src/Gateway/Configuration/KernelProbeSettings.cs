namespace Gateway.Configuration;

/// <summary>The <c>KernelProbe</c> section: whether and where the kernel programs run.</summary>
public sealed class KernelProbeSettings
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "KernelProbe";

    /// <summary>Interfaces used when none are configured.</summary>
    public static readonly IReadOnlyList<string> DefaultInterfaces = ["lo"];

    /// <summary>Auto (default), On or Off.</summary>
    public KernelProbeMode Mode { get; set; } = KernelProbeMode.Auto;

    /// <summary>Interfaces the TC program attaches to; null means <see cref="DefaultInterfaces"/>.</summary>
    /// <remarks>Null rather than pre-filled: the configuration binder appends to pre-filled lists.</remarks>
    public List<string>? Interfaces { get; set; }

    /// <summary>Capacity of the kernel flow table (an LRU map). Default 65536.</summary>
    public int FlowTableSize { get; set; } = 65536;

    /// <summary>
    /// An accepted handshake the client has not completed after this many seconds is
    /// reported as a <c>wire.anomaly</c> (<c>handshake_incomplete</c>). Default 10.
    /// </summary>
    public int HandshakeTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// Size in bytes of the ring buffer that carries kernel events (resets, retransmissions,
    /// TTL changes, zero windows) to the gateway: a power of two from 4096 to 67108864. When
    /// an event storm fills it, events are dropped and counted (<c>gateway.probe.events.dropped</c>);
    /// the per-connection counters in records are unaffected. Default 262144 (256 KiB).
    /// </summary>
    public int EventBufferBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// Adds <c>wire.tcp.ja4t</c>, the JA4T fingerprint of the peer's handshake segment. Off by
    /// default: JA4T is a JA4+ method under the FoxIO License 1.1 (not free for monetised use; see
    /// NOTICE). The raw fields it is made of (<c>wire.tcp.window</c>, <c>wire.tcp.options</c>,
    /// <c>wire.tcp.mss</c>, <c>wire.tcp.wscale</c>) are recorded either way.
    /// </summary>
    public bool Ja4t { get; set; }

    /// <summary>The interfaces in force.</summary>
    public IReadOnlyList<string> EffectiveInterfaces => Interfaces ?? (IReadOnlyList<string>)DefaultInterfaces;
}

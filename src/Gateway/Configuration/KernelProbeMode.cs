namespace Gateway.Configuration;

/// <summary>Whether the gateway loads its kernel programs.</summary>
public enum KernelProbeMode
{
    /// <summary>Load them when the process may; otherwise warn once and log L7 only.</summary>
    Auto,

    /// <summary>Load them or refuse to start.</summary>
    On,

    /// <summary>Never load them; records say <c>wire.observed=false</c>.</summary>
    Off,
}

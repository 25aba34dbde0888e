namespace OtlpReceiver;

/// <summary>The OTLP span kind, numbered as on the wire (0 = unspecified).</summary>
public enum OtlpSpanKind
{
    /// <summary>The sender did not set a kind.</summary>
    Unspecified = 0,

    /// <summary><see cref="System.Diagnostics.ActivityKind.Internal"/>.</summary>
    Internal = 1,

    /// <summary><see cref="System.Diagnostics.ActivityKind.Server"/>.</summary>
    Server = 2,

    /// <summary><see cref="System.Diagnostics.ActivityKind.Client"/>.</summary>
    Client = 3,

    /// <summary><see cref="System.Diagnostics.ActivityKind.Producer"/>.</summary>
    Producer = 4,

    /// <summary><see cref="System.Diagnostics.ActivityKind.Consumer"/>.</summary>
    Consumer = 5,
}

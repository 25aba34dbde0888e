using System.IO.Pipelines;

namespace Gateway.Tls;

/// <summary>A connection's transport with both directions shown to one <see cref="TlsHandshakeObserver"/>.</summary>
internal sealed class ObservedTransport(IDuplexPipe inner, TlsHandshakeObserver observer) : IDuplexPipe
{
    /// <inheritdoc />
    public PipeReader Input { get; } = new ObservingPipeReader(inner.Input, observer);

    /// <inheritdoc />
    public PipeWriter Output { get; } = new ObservingPipeWriter(inner.Output, observer);
}

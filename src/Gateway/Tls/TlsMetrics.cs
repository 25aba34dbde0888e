using System.Diagnostics.Metrics;
using Gateway.Telemetry;

namespace Gateway.Tls;

/// <summary>The TLS room's metrics (meter <c>Gateway.Tls</c>): how the ClientHellos of TLS connections were read.</summary>
internal sealed class TlsMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = SemanticConventions.TlsMeterName;

    /// <summary>The <c>outcome</c> of a ClientHello that was read and fingerprinted.</summary>
    public const string Fingerprinted = "ja4";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _hellos;

    /// <summary>Creates the instruments.</summary>
    public TlsMetrics()
    {
        _hellos = _meter.CreateCounter<long>("gateway.tls.client_hellos", unit: "{connection}",
            description: "Connections that began with a TLS handshake record, by outcome: ja4 (read and fingerprinted) or why not (truncated, malformed_record, not_client_hello, too_large, malformed)");
    }

    /// <summary>Counts one connection's ClientHello: fingerprinted when <paramref name="failure"/> is None.</summary>
    public void ClientHello(ClientHelloFailure failure) =>
        _hellos.Add(1, new KeyValuePair<string, object?>("outcome", failure == ClientHelloFailure.None ? Fingerprinted : ClientHelloFailureNames.Of(failure)));

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}

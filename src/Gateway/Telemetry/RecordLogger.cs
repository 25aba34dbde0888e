using Microsoft.Extensions.Logging;

namespace Gateway.Telemetry;

/// <summary>
/// Writes the gateway's two records, <c>gateway.access</c> and <c>wire.connection</c>, as
/// log records whose attributes are exactly an <see cref="AttributeList"/>.
/// </summary>
/// <remarks>
/// These two are not source-generated <c>LoggerMessage</c>s on purpose: their attribute
/// set varies per record (one attribute per captured header), which a fixed message
/// template cannot express. Their event ids still live in <see cref="GatewayEventIds"/>.
/// </remarks>
internal sealed class RecordLogger(ILoggerFactory loggerFactory)
{
    /// <summary>The logger category of the records; the default console logger leaves it out (the sink prints its own line).</summary>
    public const string Category = "Gateway.Records";

    private static readonly EventId AccessEvent = new(GatewayEventIds.Access, SemanticConventions.AccessEvent);
    private static readonly EventId ConnectionEvent = new(GatewayEventIds.Connection, SemanticConventions.ConnectionEvent);
    private static readonly EventId AnomalyEvent = new(GatewayEventIds.Anomaly, SemanticConventions.AnomalyEvent);

    private readonly ILogger _logger = loggerFactory.CreateLogger(Category);

    /// <summary>Writes the access record; call it while the request's server span is current.</summary>
    public void Access(AttributeList attributes, string body) => Write(AccessEvent, attributes, body);

    /// <summary>Writes the record of a closed connection.</summary>
    public void Connection(AttributeList attributes, string body) => Write(ConnectionEvent, attributes, body);

    /// <summary>Writes the record of a wire event that happened with no request in flight.</summary>
    public void Anomaly(AttributeList attributes, string body) => Write(AnomalyEvent, attributes, body, LogLevel.Warning);

    private void Write(EventId eventId, AttributeList attributes, string body, LogLevel level = LogLevel.Information)
    {
        if (_logger.IsEnabled(level))
        {
            // The body is passed through the formatter rather than as "{OriginalFormat}" so
            // that exporters take it verbatim instead of as a message template.
            _logger.Log(level, eventId, attributes, null, (_, _) => body);
        }
    }
}

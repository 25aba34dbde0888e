using Gateway.HeaderCapture;

namespace Gateway.Configuration;

/// <summary>The compiled policy of one route.</summary>
/// <param name="Capture">Header capture, redaction and limits.</param>
/// <param name="SamplingRatio">The route's sampling ratio, or null for the global one.</param>
public sealed record RoutePolicy(HeaderCapturePolicy Capture, double? SamplingRatio);

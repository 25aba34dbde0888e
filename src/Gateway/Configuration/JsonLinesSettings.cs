namespace Gateway.Configuration;

/// <summary>The <c>Telemetry:JsonLines</c> section: the embedded JSON-lines sink.</summary>
public sealed class JsonLinesSettings
{
    /// <summary>File the records are appended to, relative to the current directory. Default <c>logs/access.jsonl</c>.</summary>
    public string Path { get; set; } = "logs/access.jsonl";

    /// <summary>
    /// Whether records are written to <see cref="Path"/>. Null (the default) means: when
    /// no OTLP endpoint for logs is configured. With OTLP on, the same records would be
    /// serialized twice on the gateway's cores; set true to keep the local file as well.
    /// </summary>
    public bool? Enabled { get; set; }
}

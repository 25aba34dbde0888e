namespace Gateway.Configuration;

/// <summary>The <c>Telemetry:JsonLines</c> section: the embedded JSON-lines sink.</summary>
public sealed class JsonLinesSettings
{
    /// <summary>File the records are appended to, relative to the current directory. Default <c>logs/access.jsonl</c>.</summary>
    public string Path { get; set; } = "logs/access.jsonl";
}

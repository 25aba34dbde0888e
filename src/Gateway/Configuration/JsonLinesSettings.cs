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

    /// <summary>
    /// Size-based rotation, for hosts without logrotate: once the file would grow past this many bytes
    /// (4096 to 2^40), it is renamed <c>PATH.1</c> (older ones move to <c>.2</c> ... up to
    /// <see cref="MaxFiles"/>) and a new file is started. Whole lines only: a file ends at a line's end.
    /// Null (the default): no size limit (rotate with logrotate; the sink follows a rename or delete).
    /// </summary>
    public long? MaxBytes { get; set; }

    /// <summary>With <see cref="MaxBytes"/>: how many rotated files (<c>PATH.1</c> ... <c>PATH.N</c>) are kept, 1 to 1000; the oldest beyond goes. Default 5.</summary>
    public int MaxFiles { get; set; } = DefaultMaxFiles;

    /// <summary>The default of <see cref="MaxFiles"/>.</summary>
    public const int DefaultMaxFiles = 5;

    /// <summary>The smallest <see cref="MaxBytes"/>.</summary>
    public const long MinMaxBytes = 4096;

    /// <summary>The largest <see cref="MaxBytes"/> (1 TiB).</summary>
    public const long MaxMaxBytes = 1L << 40;

    /// <summary>The largest <see cref="MaxFiles"/>.</summary>
    public const int MaxMaxFiles = 1000;
}

namespace Gateway.Configuration;

/// <summary>The <c>Demo</c> section: the built-in backend started by <c>--demo</c>.</summary>
public sealed class DemoSettings
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Demo";

    /// <summary>Where the demo backend listens. Default <c>http://127.0.0.1:5080</c>.</summary>
    public string BackendUrl { get; set; } = "http://127.0.0.1:5080";
}

namespace Gateway.Tests.Support;

/// <summary>A gateway configuration file in a temporary directory, removed on dispose.</summary>
internal sealed class TestConfig : IDisposable
{
    public TestConfig(string json)
    {
        Directory = Path.Combine(Path.GetTempPath(), "gateway-tests-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        ConfigPath = Path.Combine(Directory, "gateway.json");
        JsonLinesPath = Path.Combine(Directory, "logs", "access.jsonl");
        File.WriteAllText(ConfigPath, json.Replace("%JSONL%", JsonLinesPath.Replace("\\", "\\\\"), StringComparison.Ordinal));
    }

    public string Directory { get; }

    public string ConfigPath { get; }

    public string JsonLinesPath { get; }

    /// <summary>A complete, valid configuration that proxies everything to <paramref name="backendAddress"/>.</summary>
    public static TestConfig ForBackend(string backendAddress, string headerLogging = """{ "Request": { "Mode": "All" } }""") => new($$"""
        {
          "ReverseProxy": {
            "Routes": { "route1": { "ClusterId": "cluster1", "Match": { "Path": "{**catch-all}" } } },
            "Clusters": { "cluster1": { "Destinations": { "d1": { "Address": "{{backendAddress}}" } } } }
          },
          "HeaderLogging": {{headerLogging}},
          "KernelProbe": { "Mode": "Off" },
          "Telemetry": { "JsonLines": { "Path": "%JSONL%" }, "Console": false }
        }
        """);

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a host being torn down; the temp directory is cleaned eventually.
        }
    }
}

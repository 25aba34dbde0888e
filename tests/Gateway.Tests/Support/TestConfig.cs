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
    public static TestConfig ForBackend(string backendAddress, string headerLogging = """{ "Request": { "Mode": "All" } }""", string sections = "", string routes = "") => new(Json(backendAddress, headerLogging, sections, routes));

    /// <summary>
    /// The configuration <see cref="ForBackend"/> writes: <paramref name="sections"/> are more top-level
    /// sections (each followed by a comma), <paramref name="routes"/> more routes before <c>route1</c>
    /// (each followed by a comma; cluster <c>cluster1</c> and <c>down</c>, an unreachable one, exist);
    /// <paramref name="cluster"/> are more settings of <c>cluster1</c> (each preceded by a comma).
    /// </summary>
    public static string Json(string backendAddress, string headerLogging = """{ "Request": { "Mode": "All" } }""", string sections = "", string routes = "", string cluster = "") => $$"""
        {
          "ReverseProxy": {
            "Routes": { {{routes}} "route1": { "ClusterId": "cluster1", "Match": { "Path": "{**catch-all}" } } },
            "Clusters": {
              "cluster1": { "Destinations": { "d1": { "Address": "{{backendAddress}}" } } {{cluster}} },
              "down": { "Destinations": { "d1": { "Address": "http://127.0.0.1:1/" } } }
            }
          },
          {{sections}}
          "HeaderLogging": {{headerLogging}},
          "KernelProbe": { "Mode": "Off" },
          "Telemetry": { "JsonLines": { "Path": "%JSONL%" }, "Console": false }
        }
        """;

    /// <summary>Replaces the file's content the way an editor saving it would (same placeholder rules as the constructor).</summary>
    public void Rewrite(string json) =>
        File.WriteAllText(ConfigPath, json.Replace("%JSONL%", JsonLinesPath.Replace("\\", "\\\\"), StringComparison.Ordinal));

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

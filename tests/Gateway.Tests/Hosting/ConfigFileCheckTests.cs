using Gateway.Hosting;
using Gateway.Tests.Support;

namespace Gateway.Tests.Hosting;

public sealed class ConfigFileCheckTests
{
    [Fact]
    public void Problem_MissingFile_NamesTheFileAndSaysNotFound()
    {
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "gateway.json");

        var problem = ConfigFileCheck.Problem(path);

        Assert.Equal($"config file {path}: not found; pass --config PATH, or copy config/gateway.json from the repository there", problem);
    }

    [Fact]
    public void Problem_BrokenJson_NamesTheFileLineAndPosition()
    {
        using var config = new TestConfig("{\n  \"Urls\": \"http://x\",\n  \"Telemetry\": { ]\n}");

        var problem = ConfigFileCheck.Problem(config.ConfigPath);

        Assert.NotNull(problem);
        Assert.StartsWith($"config file {config.ConfigPath}: invalid JSON at line 3, position 18: ", problem, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', problem);
    }

    [Fact]
    public void Problem_TopLevelArray_IsRefused()
    {
        using var config = new TestConfig("[1]");

        Assert.Contains("must be a JSON object", ConfigFileCheck.Problem(config.ConfigPath), StringComparison.Ordinal);
    }

    [Fact]
    public void Problem_CommentsAndTrailingCommas_AreAccepted()
    {
        using var config = new TestConfig("{ // a comment\n \"A\": 1, }");

        Assert.Null(ConfigFileCheck.Problem(config.ConfigPath));
    }

    [Fact]
    public void Create_MissingFile_ThrowsStartupExceptionWithExitCode2()
    {
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".json");

        var e = Assert.Throws<GatewayStartupException>(() => GatewayHost.Create(["--config", path]));

        Assert.Equal(2, GatewayStartupException.ExitCode);
        Assert.Contains(path, Assert.Single(e.Errors), StringComparison.Ordinal);
    }
}

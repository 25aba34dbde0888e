using Gateway.Hosting;

namespace Gateway.Tests.Hosting;

public sealed class GatewayCommandLineTests
{
    [Fact]
    public void Parse_DemoBeforeUrls_LeavesUrlsForTheConfigurationLayer()
    {
        var commandLine = GatewayCommandLine.Parse(["--demo", "--urls", "http://127.0.0.1:0"]);

        Assert.True(commandLine.Demo);
        Assert.Equal(["--urls", "http://127.0.0.1:0"], commandLine.ConfigurationArgs);
    }

    [Fact]
    public void Parse_ConfigBothSpellings_IsMadeAbsolute()
    {
        Assert.Equal(Path.GetFullPath("a.json"), GatewayCommandLine.Parse(["--config", "a.json"]).ConfigPath);
        Assert.Equal(Path.GetFullPath("b.json"), GatewayCommandLine.Parse(["--config=b.json"]).ConfigPath);
    }

    [Fact]
    public void Parse_NoConfig_DefaultsToTheFileNextToTheExecutable()
    {
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "config", "gateway.json"), GatewayCommandLine.Parse([]).ConfigPath);
    }

    [Fact]
    public void Parse_ConfigWithoutPath_IsRefused()
    {
        var e = Assert.Throws<GatewayStartupException>(() => GatewayCommandLine.Parse(["--config"]));

        Assert.Contains("needs a file path", Assert.Single(e.Errors), StringComparison.Ordinal);
    }
}

using Gateway.Hosting;
using Microsoft.Extensions.Configuration;

namespace Gateway.Tests.Hosting;

public sealed class ValidatedJsonConfigurationProviderTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gateway-provider-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task TargetOfASymlinkedFileChanges_NoWatcherEventButThePollReloadsIt()
    {
        // As a Kubernetes ConfigMap mounts it: the watched name is a symlink into another directory,
        // so the file watcher (watching the symlink's directory) never hears of the change.
        Directory.CreateDirectory(Path.Combine(_directory, "data"));
        var target = Path.Combine(_directory, "data", "real.json");
        File.WriteAllText(target, """{ "A": "1" }""");
        var link = Path.Combine(_directory, "gateway.json");
        File.CreateSymbolicLink(link, target);
        var source = new ValidatedJsonConfigurationSource
        {
            FilePath = link,
            Validate = _ => [],
            PollInterval = TimeSpan.FromMilliseconds(100),
            ReloadDelay = TimeSpan.FromMilliseconds(50),
        };
        var root = new ConfigurationBuilder().Add(source).Build();
        using var provider = source.Provider!;
        var applied = new TaskCompletionSource<ConfigReloadOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        provider.Reloaded += outcome => applied.TrySetResult(outcome);

        await Task.Delay(1100); // a later modification time than the first write, whatever the file system's granularity
        File.WriteAllText(target, """{ "A": "2" }""");
        var outcome = await applied.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(outcome.Applied);
        Assert.Equal(["A"], outcome.ChangedKeys);
        Assert.Equal("2", root["A"]);
    }

    [Fact]
    public void ReloadNow_ValidatorRefuses_DataAndReloadTokenUntouched()
    {
        var path = Path.Combine(_directory, "gateway.json");
        File.WriteAllText(path, """{ "A": "1" }""");
        var source = new ValidatedJsonConfigurationSource { FilePath = path, Validate = c => c["A"] == "bad" ? ["A: bad"] : [], ReloadOnChange = false };
        var root = new ConfigurationBuilder().Add(source).Build();
        using var provider = source.Provider!;
        var token = root.GetReloadToken();

        File.WriteAllText(path, """{ "A": "bad", "B": "x" }""");
        var outcome = provider.ReloadNow();

        Assert.False(outcome.Applied);
        Assert.Equal(["A: bad"], outcome.Errors);
        Assert.Equal("1", root["A"]);
        Assert.Null(root["B"]);
        Assert.False(token.HasChanged);
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace Gateway.Configuration;

/// <summary>
/// Names the layer a setting's value came from, so an error message can say "environment
/// variable HeaderLogging__Mode" rather than blaming a file that does not contain the value.
/// </summary>
public sealed class SettingSource(IConfigurationRoot root, string configFilePath)
{
    /// <summary>The configuration file the gateway was started with.</summary>
    public string ConfigFilePath { get; } = configFilePath;

    /// <summary>Describes where <paramref name="key"/> is set, or the file when it is not set anywhere.</summary>
    public string Describe(string key)
    {
        // Later providers override earlier ones, so the last provider holding the key supplied the value.
        for (var i = root.Providers.Count() - 1; i >= 0; i--)
        {
            var provider = root.Providers.ElementAt(i);
            if (!provider.TryGet(key, out _) && !HasChildren(provider, key))
            {
                continue;
            }

            return provider switch
            {
                EnvironmentVariablesConfigurationProvider => $"environment variable {key.Replace(":", "__", StringComparison.Ordinal)}",
                CommandLineConfigurationProvider => $"command line --{key}",
                _ => $"config file {ConfigFilePath}",
            };
        }

        return $"config file {ConfigFilePath}";
    }

    private static bool HasChildren(IConfigurationProvider provider, string key) =>
        provider.GetChildKeys([], key).Any();
}

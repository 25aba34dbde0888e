using Microsoft.Extensions.Configuration;

namespace Gateway.Hosting;

/// <summary>
/// The configuration file as a source that reloads only content that passed validation; see
/// <see cref="ValidatedJsonConfigurationProvider"/>.
/// </summary>
public sealed class ValidatedJsonConfigurationSource : IConfigurationSource
{
    /// <summary>Full path of the file.</summary>
    public required string FilePath { get; init; }

    /// <summary>Returns the problems of candidate content (flattened keys); empty means it may be applied.</summary>
    public required Func<IReadOnlyDictionary<string, string?>, IReadOnlyList<string>> Validate { get; init; }

    /// <summary>Whether file changes are watched. Default true.</summary>
    public bool ReloadOnChange { get; init; } = true;

    /// <summary>Quiet time after the last change before the file is read (editors write in several steps). Default 250 ms.</summary>
    public TimeSpan ReloadDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How often the file's size and time are checked besides the file watcher. Default 2 s.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The provider, once built.</summary>
    public ValidatedJsonConfigurationProvider? Provider { get; private set; }

    /// <inheritdoc />
    public IConfigurationProvider Build(IConfigurationBuilder builder) => Provider ??= new ValidatedJsonConfigurationProvider(this);
}

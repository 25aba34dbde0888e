using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.FileProviders.Physical;
using Microsoft.Extensions.Primitives;

namespace Gateway.Hosting;

/// <summary>
/// The configuration file, reloaded safely: a change is read into a candidate, the candidate is
/// validated together with the environment and command-line layers, and only a valid candidate
/// replaces the data and signals a reload. An invalid or unreadable file changes nothing: the
/// running settings and YARP's routes keep serving, and <see cref="Reloaded"/> says why.
/// </summary>
/// <remarks>
/// The stock JSON provider clears its data when a reload fails to parse and then signals the
/// change, which would hand YARP an empty route table; this provider never does either.
/// </remarks>
public sealed class ValidatedJsonConfigurationProvider : ConfigurationProvider, IDisposable
{
    private readonly ValidatedJsonConfigurationSource _source;
    private readonly Lock _gate = new();
    private readonly Timer _debounce;
    private readonly Timer _poll;
    private (DateTime Written, long Length) _stamp;
    private PhysicalFileProvider? _files;
    private IDisposable? _watch;
    private bool _disposed;

    internal ValidatedJsonConfigurationProvider(ValidatedJsonConfigurationSource source)
    {
        _source = source;
        _debounce = new Timer(_ => ReloadNow(), null, Timeout.Infinite, Timeout.Infinite);
        _poll = new Timer(_ => Poll(), null, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>Raised after every change of the file was handled, applied or refused.</summary>
    public event Action<ConfigReloadOutcome>? Reloaded;

    /// <summary>Reads the file at start; throws <see cref="GatewayStartupException"/> when it cannot be read.</summary>
    public override void Load()
    {
        _stamp = Stamp(_source.FilePath);
        Data = Read(_source.FilePath, out var problem) ?? throw new GatewayStartupException([problem!]);
        if (_source.ReloadOnChange && _watch is null && Path.GetDirectoryName(_source.FilePath) is { } directory)
        {
            _files = new PhysicalFileProvider(directory, ExclusionFilters.None);
            var name = Path.GetFileName(_source.FilePath);
            _watch = ChangeToken.OnChange(() => _files.Watch(name), () => _debounce.Change(_source.ReloadDelay, Timeout.InfiniteTimeSpan));

            // inotify misses some ways a file changes (a Kubernetes ConfigMap swaps a symlinked
            // directory, some network and overlay file systems): a cheap stat now and then catches them.
            _poll.Change(_source.PollInterval, _source.PollInterval);
        }
    }

    /// <summary>Reads, validates and applies the file now (the file watcher calls this after the quiet time).</summary>
    public ConfigReloadOutcome ReloadNow()
    {
        ConfigReloadOutcome outcome;
        lock (_gate)
        {
            if (_disposed)
            {
                return new ConfigReloadOutcome(_source.FilePath, false, [], []);
            }

            _stamp = Stamp(_source.FilePath);
            var candidate = Read(_source.FilePath, out var problem);
            if (candidate is null)
            {
                outcome = new ConfigReloadOutcome(_source.FilePath, false, [problem!], []);
            }
            else
            {
                var changed = Changes(Data, candidate);
                if (changed.Count == 0)
                {
                    // Saved without a change (or a second event for one write): nothing to tell anyone.
                    return new ConfigReloadOutcome(_source.FilePath, true, [], []);
                }

                var errors = _source.Validate(candidate.AsReadOnly());
                if (errors.Count > 0)
                {
                    outcome = new ConfigReloadOutcome(_source.FilePath, false, errors, []);
                }
                else
                {
                    Data = candidate;
                    outcome = new ConfigReloadOutcome(_source.FilePath, true, [], changed);
                }
            }
        }

        if (outcome.Applied)
        {
            OnReload();
        }

        Reloaded?.Invoke(outcome);
        return outcome;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }

        _watch?.Dispose();
        _files?.Dispose();
        _debounce.Dispose();
        _poll.Dispose();
    }

    private void Poll()
    {
        var stamp = Stamp(_source.FilePath);
        bool changed;
        lock (_gate)
        {
            changed = !_disposed && stamp != _stamp;
        }

        if (changed)
        {
            _debounce.Change(_source.ReloadDelay, Timeout.InfiniteTimeSpan);
        }
    }

    private static (DateTime, long) Stamp(string path)
    {
        try
        {
            // The file the name finally points to: a symlink's own time never changes when its target does.
            var info = new FileInfo(path);
            if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target)
            {
                info = target;
            }

            return info.Exists ? (info.LastWriteTimeUtc, info.Length) : default;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return default;
        }
    }

    /// <summary>Flattens the file the way the JSON configuration provider does; null and a reason when it cannot.</summary>
    internal static Dictionary<string, string?>? Read(string path, out string? problem)
    {
        if (ConfigFileCheck.Problem(path) is { } unusable)
        {
            problem = unusable;
            return null;
        }

        try
        {
            using var stream = new MemoryStream(File.ReadAllBytes(path));
            var flat = new ConfigurationBuilder().AddJsonStream(stream).Build();
            var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var (key, value) in flat.AsEnumerable())
            {
                // Null values are kept: they stand for empty objects and arrays, which still name a section.
                data[key] = value;
            }

            problem = null;
            return data;
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            // What the JSON check lets through, e.g. a key that appears twice.
            problem = $"config file {path}: {e.InnerException?.Message ?? e.Message}";
            return null;
        }
    }

    private static List<string> Changes(IDictionary<string, string?> before, Dictionary<string, string?> after)
    {
        var changed = new List<string>();
        foreach (var (key, value) in after)
        {
            if (!before.TryGetValue(key, out var old) || !string.Equals(old, value, StringComparison.Ordinal))
            {
                changed.Add(key);
            }
        }

        foreach (var key in before.Keys)
        {
            if (!after.ContainsKey(key))
            {
                changed.Add(key);
            }
        }

        changed.Sort(StringComparer.OrdinalIgnoreCase);
        return changed;
    }
}

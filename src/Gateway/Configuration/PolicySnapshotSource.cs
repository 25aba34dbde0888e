using Gateway.Rules;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Primitives;

namespace Gateway.Configuration;

/// <summary>
/// Holds the current <see cref="PolicySnapshot"/> and replaces it whenever the configuration
/// reloads. The configuration only reloads after the new file passed validation, so the
/// binding here does not fail; if it ever did, the previous snapshot stays.
/// </summary>
public sealed class PolicySnapshotSource : IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly IDisposable? _subscription;
    private volatile PolicySnapshot _current;

    /// <summary>Builds the first snapshot and, when <paramref name="watch"/> is true, follows reloads.</summary>
    public PolicySnapshotSource(IConfiguration configuration, bool watch = true)
    {
        _configuration = configuration;
        _current = Build(configuration);
        if (watch)
        {
            _subscription = ChangeToken.OnChange(configuration.GetReloadToken, Rebuild);
        }
    }

    /// <summary>Raised after a new snapshot took over; the argument is the exception when rebuilding failed.</summary>
    public event Action<Exception?>? Rebuilt;

    /// <summary>The snapshot in force.</summary>
    public PolicySnapshot Current => _current;

    /// <summary>Binds the reloadable sections and compiles them; the rules a reload leaves unchanged keep their alert pacing from <paramref name="previous"/>.</summary>
    public static PolicySnapshot Build(IConfiguration configuration, PolicySnapshot? previous = null)
    {
        var sampling = Bind<SamplingSettings>(configuration, SamplingSettings.SectionName);
        return new(
            Bind<HeaderLoggingSettings>(configuration, HeaderLoggingSettings.SectionName),
            sampling,
            Bind<ClientIdentitySettings>(configuration, ClientIdentitySettings.SectionName),
            BuildRules(configuration, sampling, previous?.Rules));
    }

    /// <summary>The <c>Rules</c> section and the <c>Sampling:AlwaysKeep</c> entries as one compiled set (see <see cref="RuleSet.Compile"/> for <paramref name="previous"/>).</summary>
    public static RuleSet BuildRules(IConfiguration configuration, SamplingSettings sampling, RuleSet? previous = null)
    {
        var interval = TimeSpan.FromSeconds(Bind<AlertSettings>(configuration, AlertSettings.SectionName).IntervalSeconds);
        var definitions = new List<RuleDefinition>();
        foreach (var rule in configuration.GetSection(ConfigValidator.RulesSectionName).GetChildren())
        {
            definitions.Add(RuleDefinition.From(rule.Key, rule.Get<RuleSettings>() ?? new RuleSettings(), interval));
        }

        var keep = sampling.AlwaysKeep ?? [];
        for (var i = 0; i < keep.Count; i++)
        {
            definitions.Add(keep[i].ToRule($"{SamplingSettings.SectionName}:AlwaysKeep:{i}"));
        }

        return RuleSet.Compile(definitions, previous: previous);
    }

    /// <inheritdoc />
    public void Dispose() => _subscription?.Dispose();

    private void Rebuild()
    {
        try
        {
            _current = Build(_configuration, _current);
            Rebuilt?.Invoke(null);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or RuleCompileException)
        {
            Rebuilt?.Invoke(e);
        }
    }

    private static T Bind<T>(IConfiguration configuration, string section)
        where T : new() =>
        configuration.GetSection(section).Get<T>() ?? new T();
}

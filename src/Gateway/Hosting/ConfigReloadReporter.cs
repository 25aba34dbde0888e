using Microsoft.Extensions.Logging;

namespace Gateway.Hosting;

/// <summary>
/// Says what happened to each change of the configuration file: applied (which settings
/// changed, never their values), refused (each problem, naming file, setting and fix), or
/// applied but waiting for a restart for the sections that cannot change while running.
/// </summary>
internal sealed partial class ConfigReloadReporter(ILogger<ConfigReloadReporter> logger)
{
    /// <summary>Sections read once at start: a change is reported, not applied.</summary>
    public static readonly IReadOnlyList<string> RestartOnlySections = ["KernelProbe", "Telemetry", "Demo", "Health", "Urls", "Kestrel", "Alerts:Webhook"];

    private const int ListedKeys = 10;

    /// <summary>Reports one outcome; never throws (it runs on the file watcher's thread).</summary>
    public void Report(ConfigReloadOutcome outcome)
    {
        try
        {
            if (!outcome.Applied)
            {
                foreach (var error in outcome.Errors)
                {
                    Log.Refused(logger, outcome.FilePath, error);
                }

                return;
            }

            if (outcome.ChangedKeys.Count == 0)
            {
                return;
            }

            var listed = string.Join(", ", outcome.ChangedKeys.Take(ListedKeys));
            if (outcome.ChangedKeys.Count > ListedKeys)
            {
                listed += $" and {outcome.ChangedKeys.Count - ListedKeys} more";
            }

            Log.Applied(logger, outcome.FilePath, listed);
            foreach (var section in RestartOnlySections)
            {
                if (outcome.ChangedKeys.Any(k => k.Equals(section, StringComparison.OrdinalIgnoreCase)
                                                 || k.StartsWith(section + ":", StringComparison.OrdinalIgnoreCase)))
                {
                    Log.RestartRequired(logger, section, outcome.FilePath);
                }
            }

            // The OTEL_* variables are read once at start, like the Telemetry section.
            foreach (var key in outcome.ChangedKeys.Where(k => k.StartsWith(Configuration.OtelVariables.Prefix, StringComparison.OrdinalIgnoreCase)))
            {
                Log.RestartRequired(logger, key, outcome.FilePath);
            }
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            // A logging provider failure must not take the file watcher down.
        }
    }
}

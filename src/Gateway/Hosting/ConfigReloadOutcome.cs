namespace Gateway.Hosting;

/// <summary>What happened to one change of the configuration file.</summary>
/// <param name="FilePath">The file.</param>
/// <param name="Applied">True when the new content took over.</param>
/// <param name="Errors">Why it was refused (each naming the setting and the fix); empty when applied.</param>
/// <param name="ChangedKeys">Setting paths whose value changed (applied changes only).</param>
public sealed record ConfigReloadOutcome(string FilePath, bool Applied, IReadOnlyList<string> Errors, IReadOnlyList<string> ChangedKeys);

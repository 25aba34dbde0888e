namespace Gateway.Hosting;

/// <summary>
/// The gateway refused to start because of its configuration or command line.
/// <c>Program</c> prints <see cref="Errors"/> to standard error and exits with <see cref="ExitCode"/>.
/// </summary>
public sealed class GatewayStartupException(IReadOnlyList<string> errors)
    : Exception(errors.Count == 1 ? errors[0] : $"{errors.Count} configuration errors:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}")
{
    /// <summary>The process exit code for a refused start.</summary>
    public const int ExitCode = 2;

    /// <summary>Every problem found, one complete sentence each.</summary>
    public IReadOnlyList<string> Errors { get; } = errors;
}

namespace Gateway.Hosting;

/// <summary>
/// The gateway's own switches (<c>--config</c>, <c>--demo</c>, <c>--help</c>), taken out of
/// the argument list before the rest goes to the configuration's command-line layer.
/// </summary>
/// <remarks>
/// They must be removed: the command-line configuration provider would read a bare
/// <c>--demo</c> as a key whose value is the next argument and swallow, say, <c>--urls</c>.
/// </remarks>
public sealed record GatewayCommandLine
{
    /// <summary>The configuration file used when <c>--config</c> is absent.</summary>
    public static string DefaultConfigPath => Path.Combine(AppContext.BaseDirectory, "config", "gateway.json");

    /// <summary>Full path of the configuration file.</summary>
    public required string ConfigPath { get; init; }

    /// <summary>True when the built-in demo backend should start too.</summary>
    public bool Demo { get; init; }

    /// <summary>True when only the usage text was asked for.</summary>
    public bool Help { get; init; }

    /// <summary>Everything else, for the configuration's command-line layer (<c>--urls</c> and any <c>--Section:Key=value</c>).</summary>
    public required IReadOnlyList<string> ConfigurationArgs { get; init; }

    /// <summary>The usage text printed by <c>--help</c>.</summary>
    public const string Usage =
        """
        Usage: Gateway [--config PATH] [--demo] [--urls URL[;URL...]] [--Section:Key=value ...]
          --config PATH   configuration file (default: config/gateway.json next to the executable)
          --demo          also start the built-in demo backend on Demo:BackendUrl
          --urls URLS     addresses to listen on (overrides Urls from the file)
        Settings are layered: the file, then environment variables (Section__Key), then the command line.
        OTLP export is enabled by OTEL_EXPORTER_OTLP_ENDPOINT and the other standard OTEL_* variables,
        from the environment, as --OTEL_NAME=value, or as top-level keys of the file (docs/telemetry.md).
        """;

    /// <summary>Splits <paramref name="args"/>; throws <see cref="GatewayStartupException"/> for a malformed switch.</summary>
    public static GatewayCommandLine Parse(IReadOnlyList<string> args)
    {
        string? configPath = null;
        var demo = false;
        var help = false;
        var rest = new List<string>(args.Count);

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "--config" or "-c")
            {
                if (i + 1 >= args.Count || string.IsNullOrWhiteSpace(args[i + 1]))
                {
                    throw new GatewayStartupException([$"{arg} needs a file path, e.g. {arg} config/gateway.json"]);
                }

                configPath = args[++i];
            }
            else if (arg.StartsWith("--config=", StringComparison.Ordinal))
            {
                configPath = arg["--config=".Length..];
                if (string.IsNullOrWhiteSpace(configPath))
                {
                    throw new GatewayStartupException(["--config= needs a file path, e.g. --config=config/gateway.json"]);
                }
            }
            else if (arg is "--demo")
            {
                demo = true;
            }
            else if (arg is "--help" or "-h" or "-?")
            {
                help = true;
            }
            else
            {
                rest.Add(arg);
            }
        }

        return new GatewayCommandLine
        {
            ConfigPath = Path.GetFullPath(configPath ?? DefaultConfigPath),
            Demo = demo,
            Help = help,
            ConfigurationArgs = rest,
        };
    }
}

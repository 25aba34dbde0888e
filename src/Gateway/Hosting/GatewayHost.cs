using Gateway.Configuration;
using Gateway.Correlation;
using Gateway.Demo;
using Gateway.Forwarding;
using Gateway.Health;
using Gateway.HeaderCapture;
using Gateway.Requests;
using Gateway.Telemetry;
using Gateway.Telemetry.Otlp;
using Gateway.Telemetry.Records;
using Gateway.Tls;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;

namespace Gateway.Hosting;

/// <summary>
/// The gateway as an object: built from the same arguments as the executable, started,
/// stopped. <c>Program</c> runs it; tests start it in-process on real sockets.
/// </summary>
/// <example>
/// <code>
/// await using var gateway = GatewayHost.Create(["--config", path, "--urls", "http://127.0.0.1:0"],
///     services => services.AddSingleton&lt;IWireView&gt;(myView));
/// await gateway.StartAsync();
/// var address = gateway.Addresses.First();
/// </code>
/// </example>
public sealed class GatewayHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly DemoSettings _demo;
    private readonly ValidatedJsonConfigurationSource _fileSource;
    private readonly PolicySnapshotSource _policies;
    private readonly HealthSettings _health;
    private DemoBackend? _demoBackend;
    private HealthServer? _healthServer;
    private bool _disposed;

    private GatewayHost(WebApplication app, GatewayCommandLine commandLine, DemoSettings demo, HealthSettings health, ValidatedJsonConfigurationSource fileSource, PolicySnapshotSource policies)
    {
        _app = app;
        _health = health;
        CommandLine = commandLine;
        _demo = demo;
        _fileSource = fileSource;
        _policies = policies;
    }

    /// <summary>The parsed command line (config path, demo flag).</summary>
    public GatewayCommandLine CommandLine { get; }

    /// <summary>The gateway's services.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>The addresses Kestrel listens on, once started (port 0 resolved to the real port).</summary>
    public IReadOnlyList<string> Addresses => [.. _app.Urls];

    /// <summary>The configuration file's provider: <see cref="ValidatedJsonConfigurationProvider.ReloadNow"/> applies a change without waiting for the file watcher.</summary>
    public ValidatedJsonConfigurationProvider ConfigFile => _fileSource.Provider!;

    /// <summary>The reloadable policies in force.</summary>
    public PolicySnapshotSource Policies => _policies;

    /// <summary>The health endpoints' addresses when <c>Health:Urls</c> is set; empty otherwise.</summary>
    public IReadOnlyCollection<string> HealthAddresses => _healthServer?.Addresses ?? [];

    /// <summary>The demo backend's addresses when started with <c>--demo</c>; empty otherwise.</summary>
    public IReadOnlyCollection<string> DemoAddresses => _demoBackend?.Addresses ?? [];

    /// <summary>
    /// Builds the gateway from command-line arguments. <paramref name="configureServices"/>
    /// runs after the gateway's own registrations, so what it registers wins (e.g. an
    /// <see cref="IWireView"/>). Throws <see cref="GatewayStartupException"/> listing every
    /// configuration problem.
    /// </summary>
    public static GatewayHost Create(IReadOnlyList<string> args, Action<IServiceCollection>? configureServices = null)
    {
        var commandLine = GatewayCommandLine.Parse(args);
        var configPath = commandLine.ConfigPath;
        if (ConfigFileCheck.Problem(configPath) is { } problem)
        {
            throw new GatewayStartupException([problem]);
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [.. commandLine.ConfigurationArgs] });
        var fileSource = LayerConfiguration(builder.Configuration, configPath, commandLine.ConfigurationArgs);

        var errors = ConfigValidator.Validate(builder.Configuration, configPath);
        if (errors.Count > 0)
        {
            fileSource.Provider?.Dispose();
            throw new GatewayStartupException(errors);
        }

        var telemetry = Bind<TelemetrySettings>(builder.Configuration, TelemetrySettings.SectionName);
        var demo = Bind<DemoSettings>(builder.Configuration, DemoSettings.SectionName);
        var health = Bind<HealthSettings>(builder.Configuration, HealthSettings.SectionName);
        CheckSinkPath(telemetry, configPath);

        var services = builder.Services;
        services.Configure<KernelProbeSettings>(builder.Configuration.GetSection(KernelProbeSettings.SectionName));
        var policies = new PolicySnapshotSource(builder.Configuration);
        services.AddSingleton(policies);
        services.AddWireView();
        services.AddGatewayHealth(builder.Configuration);
        AddForwarding(services, builder.Configuration);
        try
        {
            services.AddGatewayTelemetry(builder.Logging, builder.Configuration, telemetry);
        }
        catch (OtlpSettingsException e)
        {
            throw new GatewayStartupException(e.Problems);
        }

        QuietFrameworkLogs(builder.Logging, builder.Configuration);

        services.AddSingleton<ConnectionRecordMiddleware>();
        AddAlerts(services, builder.Configuration, policies);
        services.AddTlsCapture();
        var configuration = builder.Configuration;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            KestrelLimits.Apply(kestrel.Limits, configuration);
            HeaderOrderRecorder.Install(kestrel);
            kestrel.ConfigureEndpointDefaults(listen =>
            {
                // First, so it counts the raw transport (TLS records included), where the kernel's sequence numbers run.
                listen.Use(TransportByteCounts.Wrap);
                listen.Use(next => listen.ApplicationServices.GetRequiredService<ConnectionRecordMiddleware>().Wrap(next));
                listen.Use(HeaderOrderRecorder.Wrap);
                // Last of the defaults: right before the HTTPS middleware of a TLS endpoint.
                listen.UseTlsCapture();
            });
        });

        configureServices?.Invoke(services);

        var app = builder.Build();
        try
        {
            var reporter = ActivatorUtilities.CreateInstance<ConfigReloadReporter>(app.Services);
            var monitor = app.Services.GetRequiredService<HealthMonitor>();
            monitor.ConfigurationLoaded(configPath);
            if (fileSource.Provider is { } provider)
            {
                provider.Reloaded += reporter.Report;
                provider.Reloaded += outcome => monitor.ConfigurationReloaded(outcome.Applied, outcome.Errors);
            }

            // Start the probe now, before Kestrel creates its listen sockets: a probe that
            // must run (KernelProbe:Mode On) and cannot is then a clear startup error.
            app.Services.GetRequiredService<IWireView>();

            app.UseMiddleware<RequestMiddleware>();
            app.UseRouting();
            app.UseMiddleware<RequestHeaderCaptureMiddleware>();
            var upstream = UpstreamAttempt.Step(app.Services);
            try
            {
                app.MapReverseProxy(pipeline =>
                {
                    pipeline.UseSessionAffinity();
                    pipeline.UseLoadBalancing();
                    pipeline.UsePassiveHealthChecks();
                    pipeline.Use(upstream);
                });
            }
            catch (InvalidOperationException e) when (e.InnerException is not null)
            {
                // YARP validates ReverseProxy on first load and throws with every problem inside.
                throw new GatewayStartupException(ReverseProxyErrors(e.InnerException, configPath));
            }

            return new GatewayHost(app, commandLine, demo, health, fileSource, policies);
        }
        catch
        {
            // Refused once the services exist: the wire view (the probe, attached to the
            // interfaces) may be running already, so everything goes, as DisposeAsync would.
            policies.Dispose();
            fileSource.Provider?.Dispose();
            app.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>Starts the demo backend (with <c>--demo</c>) and the gateway, then prints the ready line.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (CommandLine.Demo)
        {
            _demoBackend = await DemoBackend.StartAsync(_demo.BackendUrl, cancellationToken).ConfigureAwait(false);
        }

        // Before the proxy: a probe during start gets "starting" (503), not a refused connection.
        if (!string.IsNullOrWhiteSpace(_health.Urls))
        {
            var logger = Services.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.Health");
            _healthServer = await HealthServer.StartAsync(_health.Urls, Services.GetRequiredService<HealthMonitor>(), logger, _health.LogProbes, cancellationToken).ConfigureAwait(false);
        }

        await _app.StartAsync(cancellationToken).ConfigureAwait(false);

        var wire = Services.GetRequiredService<IWireView>();
        var demo = _demoBackend is null ? "" : $"; demo backend on {string.Join(", ", _demoBackend.Addresses)}";
        demo += _healthServer is null ? "" : $"; health on {string.Join(", ", _healthServer.Addresses)}";
        // The reason was logged once as a warning; the ready line only states the mode.
        var wireState = wire.IsActive ? "wire view on" : "wire view off";
        Console.Out.WriteLine($"Gateway ready: listening on {string.Join(", ", Addresses)} (config {CommandLine.ConfigPath}{demo}; {wireState})");
        Console.Out.Flush();
    }

    /// <summary>Runs until the process is asked to stop (Ctrl+C, SIGTERM), then stops and flushes telemetry.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken = default)
    {
        await StartAsync(cancellationToken).ConfigureAwait(false);
        await _app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        await DisposeAsync().ConfigureAwait(false);
        return 0;
    }

    /// <summary>Stops the gateway without disposing it.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    /// <summary>Stops everything; disposing the services flushes and shuts down the telemetry providers.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            // The probes answer "draining" while the proxy stops; they go last.
            await _app.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            if (_healthServer is not null)
            {
                await _healthServer.DisposeAsync().ConfigureAwait(false);
            }

            _policies.Dispose();
            _fileSource.Provider?.Dispose();
            await _app.DisposeAsync().ConfigureAwait(false);
            if (_demoBackend is not null)
            {
                await _demoBackend.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static ValidatedJsonConfigurationSource LayerConfiguration(ConfigurationManager configuration, string configPath, IReadOnlyList<string> args)
    {
        // Exactly: the file, then environment variables, then the command line. The
        // defaults (appsettings.json, user secrets) are not part of this gateway.
        configuration.Sources.Clear();
        var file = new ValidatedJsonConfigurationSource
        {
            FilePath = configPath,
            // A changed file is checked the way a start would check it: layered under the same
            // environment and command line, so an override that still wins is taken into account.
            Validate = candidate => ConfigValidator.Validate(Layer(new MemoryConfigurationSource { InitialData = candidate }, args), configPath),
        };
        ((IConfigurationBuilder)configuration).Add(file);
        AddOverrides(configuration, args);
        return file;
    }

    private static IConfigurationRoot Layer(IConfigurationSource file, IReadOnlyList<string> args)
    {
        var builder = new ConfigurationBuilder().Add(file);
        AddOverrides(builder, args);
        return builder.Build();
    }

    private static void AddOverrides(IConfigurationBuilder configuration, IReadOnlyList<string> args)
    {
        configuration.AddEnvironmentVariables("ASPNETCORE_");
        configuration.AddEnvironmentVariables();
        configuration.AddCommandLine([.. args]);
    }

    private static void AddAlerts(IServiceCollection services, IConfiguration configuration, PolicySnapshotSource policies)
    {
        // Read at start: a changed webhook needs a restart (ConfigReloadReporter says so).
        var alerts = Bind<Rules.AlertSettings>(configuration, Rules.AlertSettings.SectionName);
        services.AddSingleton<Requests.AlertRecordSink>();
        if (alerts.Webhook is { Url: not null } webhook)
        {
            services.AddSingleton(provider => new Rules.AlertWebhook(webhook, provider.GetRequiredService<ILogger<Rules.AlertWebhook>>()));
        }

        services.AddSingleton(provider => new Rules.AlertDispatcher(
            [provider.GetRequiredService<Requests.AlertRecordSink>(), .. provider.GetServices<Rules.AlertWebhook>()],
            () => policies.Current.Rules));
    }

    private static T Bind<T>(IConfiguration configuration, string section)
        where T : new() =>
        configuration.GetSection(section).Get<T>() ?? new T();

    private static void CheckSinkPath(TelemetrySettings telemetry, string configPath)
    {
        var path = Path.GetFullPath(telemetry.JsonLines.Path);
        try
        {
            JsonLinesSink.Open(path).Dispose();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new GatewayStartupException(
                [$"config file {configPath}: Telemetry:JsonLines:Path: cannot open {path} for appending ({e.Message}); choose a writable path."]);
        }
    }

    private static void AddForwarding(IServiceCollection services, IConfiguration configuration)
    {
        services.AddReverseProxy()
            .LoadFromConfig(configuration.GetSection("ReverseProxy"))
            .AddConfigFilter<ClusterVersionDefault>()
            .AddTransforms(transforms =>
            {
                transforms.AddRequestTransform(TraceContextTransform.Apply);
                transforms.AddResponseTransform(UpstreamAttempt.OnResponse);
            });

        // YARP's session affinity protects its cookies with Data Protection. Keys held in
        // memory: no key files written to the home directory and no warning at every start;
        // affinity cookies then last as long as the process.
        services.AddDataProtection().UseEphemeralDataProtectionProvider();

        services.Configure<UpstreamSettings>(configuration.GetSection(UpstreamSettings.SectionName));
        services.AddSingleton<FailedConnectLog>();
        services.AddSingleton<UpstreamConnector>();
        services.AddSingleton<Http2RequestJoin>();
        services.AddSingleton<IForwarderHttpClientFactory, GatewayHttpClientFactory>();
    }

    /// <summary>
    /// ASP.NET Core's per-request diagnostics: its "Request starting/finished" lines, and the
    /// log scope and <c>Activity</c> it creates for every request while that category is on.
    /// </summary>
    internal const string HostingDiagnosticsCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    // Its parents: an information level or more on one of them asks for its lines too.
    private static readonly string[] HostingDiagnosticsParents = ["Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore", "Microsoft"];

    private static void QuietFrameworkLogs(ILoggingBuilder logging, IConfiguration configuration)
    {
        // Per-request information lines of ASP.NET Core and YARP would drown the gateway's
        // own one-line summaries; the file's Logging section can still ask for them.
        foreach (var category in new[] { "Microsoft.AspNetCore", "Yarp" })
        {
            if (configuration[$"Logging:LogLevel:{category}"] is null)
            {
                logging.AddFilter(category, LogLevel.Warning);
            }
        }

        // While that category is on at any level, ASP.NET Core starts an Activity and a log scope
        // for every request (two async-local changes and about 500 bytes) that nothing here reads:
        // the gateway's own spans and access records stand in for them.
        if (!AsksForHostingDiagnostics(configuration))
        {
            logging.AddFilter(HostingDiagnosticsCategory, LogLevel.None);
        }
    }

    /// <summary>
    /// True when the Logging section (for every provider or for one) sets a level for the hosting
    /// diagnostics category itself, or asks a parent of it (<c>Microsoft.AspNetCore</c>…) for
    /// information lines or more.
    /// </summary>
    private static bool AsksForHostingDiagnostics(IConfiguration configuration)
    {
        var logging = configuration.GetSection("Logging");
        return logging.GetChildren().Select(provider => provider.GetSection("LogLevel")).Prepend(logging.GetSection("LogLevel"))
            .Any(levels => levels[HostingDiagnosticsCategory] is not null
                           || HostingDiagnosticsParents.Any(parent =>
                               Enum.TryParse<LogLevel>(levels[parent], ignoreCase: true, out var level) && level <= LogLevel.Information));
    }

    private static List<string> ReverseProxyErrors(Exception inner, string configPath)
    {
        var problems = inner is AggregateException aggregate ? aggregate.InnerExceptions.Select(x => x.Message) : [inner.Message];
        return [.. problems.Select(p => $"config file {configPath}: ReverseProxy: {p}")];
    }
}

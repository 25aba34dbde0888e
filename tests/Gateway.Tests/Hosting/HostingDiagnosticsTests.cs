using System.Collections.Concurrent;
using System.Diagnostics;
using Gateway.Hosting;
using Gateway.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Hosting;

/// <summary>
/// ASP.NET Core's own per-request diagnostics (an Activity, a log scope, "Request starting" lines)
/// are off behind the gateway, which writes its own spans and records, unless the Logging section asks.
/// </summary>
public sealed class HostingDiagnosticsTests
{
    public static TheoryData<string, bool> LoggingSections => new()
    {
        { "", false },
        { """ "Logging": { "LogLevel": { "Default": "Information", "Microsoft.AspNetCore": "Warning" } }, """, false },
        { """ "Logging": { "LogLevel": { "Microsoft.AspNetCore": "Information" } }, """, true },
        { """ "Logging": { "Console": { "LogLevel": { "Microsoft": "Debug" } } }, """, true },
        { """ "Logging": { "LogLevel": { "Microsoft.AspNetCore.Hosting.Diagnostics": "Error" } }, """, true },
    };

    [Theory]
    [MemberData(nameof(LoggingSections))]
    public async Task Request_HostingActivity_OnlyWhenTheLoggingSectionAsksForHostingDiagnostics(string logging, bool asked)
    {
        await using var backend = await TestBackend.StartAsync();
        using var config = TestConfig.ForBackend(backend.Address, sections: logging);
        var activities = new ConcurrentQueue<string?>();
        await using var gateway = GatewayHost.Create(["--config", config.ConfigPath, "--urls", "http://127.0.0.1:0"],
            services => services.AddSingleton<IStartupFilter>(new ActivityRecorder(activities)));
        await gateway.StartAsync();

        var (_, response) = await RawHttp.GetAsync(new Uri(gateway.Addresses[0]), "/api/hello");

        Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
        var seen = Assert.Single(activities);
        Assert.Equal(asked ? "Microsoft.AspNetCore.Hosting.HttpRequestIn" : null, seen);
        var category = gateway.Services.GetRequiredService<ILoggerFactory>().CreateLogger(GatewayHost.HostingDiagnosticsCategory);
        Assert.Equal(asked, category.IsEnabled(LogLevel.Critical));
    }

    // Notes the Activity current at the front of the pipeline, where ASP.NET Core has started its own.
    private sealed class ActivityRecorder(ConcurrentQueue<string?> activities) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, following) =>
            {
                activities.Enqueue(Activity.Current?.OperationName);
                await following(context);
            });
            next(app);
        };
    }
}

using Gateway.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Health;

/// <summary>Registers the health monitor and the start report of capabilities.</summary>
public static class HealthRegistration
{
    /// <summary>Adds the <c>Health</c> settings, the monitor the probes read and the capability report.</summary>
    public static IServiceCollection AddGatewayHealth(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<HealthSettings>(configuration.GetSection(HealthSettings.SectionName));
        services.AddSingleton<HealthMonitor>();
        services.AddHostedService<CapabilityReport>();
        return services;
    }
}

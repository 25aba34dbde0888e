using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Gateway.Configuration;
using Gateway.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Correlation;

/// <summary>Registers the wire view and hands it every Kestrel listen socket.</summary>
public static class WireViewRegistration
{
    /// <summary>
    /// Registers the view <c>KernelProbe</c> asks for (see <see cref="WireViewFactory"/>)
    /// unless an <see cref="IWireView"/> is registered already, and routes Kestrel's
    /// listen sockets through the view. The container owns the view: disposing the
    /// host detaches every program the probe attached.
    /// </summary>
    public static IServiceCollection AddWireView(this IServiceCollection services)
    {
        services.AddSingleton<ConnectionLedger>();
        services.TryAddSingleton<IWireView>(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<KernelProbeSettings>>().Value;
            IWireView view;
            try
            {
                view = WireViewFactory.Create(settings, sp.GetRequiredService<ConnectionLedger>());
            }
            catch (KernelProbe.ProbeException e)
            {
                // Only Mode On gets here: Auto degrades inside the factory.
                throw new GatewayStartupException([$"KernelProbe:Mode is On but {WireViewFactory.Explain(e)}"]);
            }

            if (view is KernelWireView kernel)
            {
                var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger<KernelWireView>();
                kernel.Failed += e => WireViewStartupReport.ReportFailure(logger, e);
            }

            return view;
        });
        services.AddOptions<SocketTransportOptions>().Configure<IWireView>((options, view) =>
        {
            options.CreateBoundListenSocket = endpoint =>
            {
                var socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
                view.OnListenSocketCreated(socket);
                return socket;
            };
        });
        services.AddHostedService<WireViewStartupReport>();
        services.AddHostedService<WireAnomalyReporter>();
        services.AddSingleton<WireMetrics>();
        return services;
    }
}

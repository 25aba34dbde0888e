using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tls;

/// <summary>Registers the TLS room and puts its handshake capture into every Kestrel endpoint.</summary>
public static class TlsRegistration
{
    /// <summary>Registers <see cref="TlsMetrics"/> and <see cref="TlsHandshakeCapture"/>.</summary>
    public static IServiceCollection AddTlsCapture(this IServiceCollection services)
    {
        services.AddSingleton<TlsMetrics>();
        services.AddSingleton<TlsHandshakeCapture>();
        return services;
    }

    /// <summary>
    /// Adds the handshake capture to an endpoint's connection pipeline. Called from the endpoint
    /// defaults, so it runs before the HTTPS middleware that <c>UseHttps</c> (or a configured
    /// certificate) adds after them: it sees the handshake in the clear.
    /// </summary>
    public static void UseTlsCapture(this ListenOptions listen) =>
        listen.Use(next => listen.ApplicationServices.GetRequiredService<TlsHandshakeCapture>().Wrap(next));
}

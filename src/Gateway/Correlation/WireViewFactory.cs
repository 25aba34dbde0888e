using Gateway.Configuration;
using KernelProbe;

namespace Gateway.Correlation;

/// <summary>Starts the wire view the configuration asks for.</summary>
public static class WireViewFactory
{
    /// <summary>
    /// The kernel's events go to the requests in flight that <paramref name="ledger"/> knows.
    /// <c>Off</c>: a disabled view. <c>Auto</c>: the kernel view, or a disabled
    /// view whose reason says why the probe could not start (most often missing
    /// privileges). <c>On</c>: the kernel view, or the startup failure.
    /// </summary>
    public static IWireView Create(KernelProbeSettings settings, ConnectionLedger ledger, string? objectPath = null)
    {
        if (settings.Mode == KernelProbeMode.Off)
            return new DisabledWireView("KernelProbe:Mode is Off");

        var options = new WireProbeOptions
        {
            Interfaces = settings.EffectiveInterfaces.ToList(),
            FlowTableSize = (uint)settings.FlowTableSize,
            EventBufferSize = (uint)settings.EventBufferBytes,
        };
        if (objectPath is not null)
            options.ObjectPath = objectPath;

        try
        {
            var events = new WireEventRouter(ledger);
            return new KernelWireView(WireProbe.Start(options, events.Route), events, settings.Ja4t);
        }
        catch (ProbeException e) when (settings.Mode == KernelProbeMode.Auto)
        {
            return new DisabledWireView(Explain(e));
        }
    }

    /// <summary>One sentence a user can act on.</summary>
    public static string Explain(ProbeException e) =>
        e.IsPermissionDenied
            ? $"the kernel refused to load or attach the probe ({e.Message.Split('\n')[0]}); run as root or grant CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON, or set KernelProbe:Mode to Off (Auto runs L7-only when the probe cannot start)"
            : $"the kernel probe could not start: {e.Message.Split('\n')[0]}";
}

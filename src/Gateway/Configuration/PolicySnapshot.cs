using System.Runtime.CompilerServices;
using Gateway.ClientIdentity;
using Gateway.HeaderCapture;
using Gateway.Rules;
using Gateway.Sampling;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Configuration;

/// <summary>
/// Everything a request needs from the gateway's reloadable sections (<c>HeaderLogging</c>,
/// <c>Sampling</c>, <c>ClientIdentity</c>, <c>Rules</c>), compiled once per valid configuration. A request
/// takes one snapshot when it starts and uses it to the end, so a reload never mixes two
/// configurations in one record.
/// </summary>
public sealed class PolicySnapshot
{
    // Headers that carry client addresses: with address privacy on they are redacted, or the
    // record would keep in a header what it hides in client.address.
    private static readonly string[] AddressHeaders = ["forwarded", "x-forwarded-for", "x-real-ip", "true-client-ip", "cf-connecting-ip", "x-client-ip"];

    // Keyed by the route's config object: YARP makes a new one when the route changes, so a
    // changed Metadata gets a new policy and an old one is collected with its route.
    private readonly ConditionalWeakTable<RouteConfig, RoutePolicy> _routes = new();

    /// <summary>Compiles the snapshot from validated settings.</summary>
    public PolicySnapshot(HeaderLoggingSettings headerLogging, SamplingSettings sampling, ClientIdentitySettings clientIdentity, RuleSet? rules = null)
    {
        Rules = rules ?? RuleSet.Empty;
        HeaderLogging = headerLogging;
        SamplingSettings = sampling;
        ClientIdentitySettings = clientIdentity;
        Anonymizer = new ClientAddressAnonymizer(clientIdentity.Privacy, clientIdentity.HashKey);
        Identity = new ClientIdentityResolver(clientIdentity);
        Sampling = new SamplingPolicy(sampling);
        Default = new RoutePolicy(Capture(RouteOverrides.None), null);
    }

    /// <summary>The <c>HeaderLogging</c> settings it was built from.</summary>
    public HeaderLoggingSettings HeaderLogging { get; }

    /// <summary>The <c>Sampling</c> settings it was built from.</summary>
    public SamplingSettings SamplingSettings { get; }

    /// <summary>The <c>ClientIdentity</c> settings it was built from.</summary>
    public ClientIdentitySettings ClientIdentitySettings { get; }

    /// <summary>The policy of requests that matched no route, and of routes without overrides.</summary>
    public RoutePolicy Default { get; }

    /// <summary>The rules (the <c>Rules</c> section and the <c>Sampling:AlwaysKeep</c> entries), compiled; <see cref="RuleSet.Empty"/> when none.</summary>
    public RuleSet Rules { get; }

    /// <summary>The sampling decision.</summary>
    public SamplingPolicy Sampling { get; }

    /// <summary>Who the client is.</summary>
    public ClientIdentityResolver Identity { get; }

    /// <summary>How client addresses are written.</summary>
    public ClientAddressAnonymizer Anonymizer { get; }

    /// <summary>The policy of <paramref name="route"/> (its Metadata overrides applied), compiled on first use.</summary>
    public RoutePolicy For(RouteConfig? route)
    {
        if (route?.Metadata is not { Count: > 0 })
        {
            return Default;
        }

        return _routes.GetValue(route, r =>
        {
            var overrides = RouteOverrides.Parse(r.Metadata);
            return overrides.IsEmpty ? Default : new RoutePolicy(Capture(overrides), overrides.SamplingRatio);
        });
    }

    private HeaderCapturePolicy Capture(RouteOverrides overrides) =>
        new(HeaderLogging, Anonymizer.IsActive ? overrides with { Redact = [.. overrides.Redact, .. AddressHeaders] } : overrides);
}

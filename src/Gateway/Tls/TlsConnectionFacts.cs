using System.Net.Security;
using System.Security.Authentication;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Gateway.Tls;

/// <summary>
/// The <c>tls.*</c> facts of a connection the gateway terminated TLS on, the same for every
/// request on it: computed once per connection and kept on its <see cref="TlsHelloFeature"/>.
/// </summary>
internal sealed class TlsConnectionFacts
{
    /// <summary><c>tls.protocol.version</c>: <c>1.3</c>, <c>1.2</c>, ...; null when Kestrel reports none.</summary>
    public string? ProtocolVersion { get; private init; }

    /// <summary><c>tls.cipher</c>: the IANA name of the negotiated suite, e.g. <c>TLS_AES_256_GCM_SHA384</c>.</summary>
    public string? Cipher { get; private init; }

    /// <summary><c>tls.client.server_name</c>: the SNI host name the client sent.</summary>
    public string? ServerName { get; private init; }

    /// <summary><c>tls.next_protocol</c>: the protocol ALPN settled on (<c>h2</c>, <c>http/1.1</c>); null when none was negotiated.</summary>
    public string? NextProtocol { get; private init; }

    /// <summary><c>tls.resumed</c>: from the ServerHello; null when it could not be read.</summary>
    public bool? Resumed { get; private init; }

    /// <summary><c>tls.client.ja4</c>: null when the ClientHello could not be read.</summary>
    public string? Ja4 { get; private init; }

    /// <summary>The ClientHello itself, when it was read.</summary>
    public ClientHello? ClientHello { get; private init; }

    /// <summary>The facts of the connection behind <paramref name="features"/>; null when it is not TLS the gateway terminated.</summary>
    public static TlsConnectionFacts? Of(IFeatureCollection features)
    {
        if (features.Get<ITlsHandshakeFeature>() is not { } handshake)
        {
            return null;
        }

        var hello = features.Get<TlsHelloFeature>();
        if (hello?.Facts is { } known)
        {
            return known;
        }

        var alpn = features.Get<ITlsApplicationProtocolFeature>()?.ApplicationProtocol ?? ReadOnlyMemory<byte>.Empty;
        var facts = new TlsConnectionFacts
        {
            ProtocolVersion = Version(handshake.Protocol),
            Cipher = handshake.NegotiatedCipherSuite is { } suite ? CipherName(suite) : null,
            // What the client sent; Kestrel's own view of it when the hello could not be read.
            ServerName = hello?.ClientHello is { } sent ? sent.ServerName : handshake.HostName is { Length: > 0 } name ? name : null,
            NextProtocol = alpn.IsEmpty ? null : ClientHelloReader.Printable(alpn.Span),
            Resumed = hello?.Resumed,
            Ja4 = hello?.Ja4,
            ClientHello = hello?.ClientHello,
        };

        // Streams of one HTTP/2 connection may race here: they compute the same value.
        if (hello is not null)
        {
            hello.Facts = facts;
        }

        return facts;
    }

    /// <summary>The version number as the semantic conventions write it.</summary>
    internal static string? Version(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls13 => "1.3",
        SslProtocols.Tls12 => "1.2",
#pragma warning disable CS0618, SYSLIB0039 // Old versions are still named when a client negotiates them.
        SslProtocols.Tls11 => "1.1",
        SslProtocols.Tls => "1.0",
        SslProtocols.Ssl3 => "3",
#pragma warning restore CS0618, SYSLIB0039
        _ => null,
    };

    // Enum names are the IANA names; the set is finite, so each is formatted once.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<TlsCipherSuite, string> CipherNames = new();

    private static string CipherName(TlsCipherSuite suite) => CipherNames.GetOrAdd(suite, s => s.ToString());
}

using System.Buffers;

namespace Gateway.Tls;

/// <summary>
/// Watches the first bytes of one connection in both directions: what the client sends until its
/// first ClientHello is complete, what the server sends until its ServerHello says whether a
/// session was resumed. Fills a <see cref="TlsHelloFeature"/>; never throws on what a client sends.
/// </summary>
/// <remarks>
/// A connection whose first byte is not a handshake record (22) is not TLS (cleartext HTTP):
/// the observer stops at that byte. Everything after the hellos is encrypted and never looked at.
/// </remarks>
internal sealed class TlsHandshakeObserver(TlsMetrics? metrics) : IDisposable
{
    private const byte HandshakeRecord = 22;
    private const byte ClientHelloType = 1;
    private const ushort Tls13 = 0x0304;

    private InputState _in;
    private OutputState _out;
    private HandshakeMessageAssembler? _input;
    private HandshakeMessageAssembler? _output;

    private enum InputState : byte { Undecided, Hello, Done }

    private enum OutputState : byte { ServerHello, AfterTls12ServerHello, Done }

    /// <summary>What was read.</summary>
    public TlsHelloFeature Feature { get; } = new();

    /// <summary>Whether the connection began with a TLS handshake record.</summary>
    public bool IsTls { get; private set; }

    /// <summary>Whether the client's bytes still matter.</summary>
    public bool WatchingInput => _in != InputState.Done;

    /// <summary>Whether the server's bytes still matter.</summary>
    public bool WatchingOutput => _out != OutputState.Done;

    /// <summary>Bytes the client sent, in order, each exactly once.</summary>
    public void OnInput(in ReadOnlySequence<byte> bytes)
    {
        foreach (var segment in bytes)
        {
            if (_in == InputState.Done)
            {
                return;
            }

            OnInput(segment.Span);
        }
    }

    /// <summary>The client's bytes ended (it closed its side) or the connection is over.</summary>
    public void OnInputEnded()
    {
        if (_in == InputState.Hello)
        {
            FinishInput(ClientHelloFailure.Truncated);
        }
    }

    /// <summary>Bytes the server sent, in order, each exactly once.</summary>
    public void OnOutput(ReadOnlySpan<byte> bytes)
    {
        if (_out == OutputState.Done)
        {
            return;
        }

        if (!IsTls)
        {
            FinishOutput(null);
            return;
        }

        _output ??= new HandshakeMessageAssembler(skipChangeCipherSpec: true);
        while (_out != OutputState.Done)
        {
            var taken = _output.Feed(bytes, out var progress);
            bytes = bytes[taken..];
            if (progress == HandshakeProgress.Failed)
            {
                FinishOutput(null);
            }
            else if (progress == HandshakeProgress.Message)
            {
                OnServerMessage();
            }
            else
            {
                // TLS 1.2: a ChangeCipherSpec right after the ServerHello is the abbreviated (resumed) handshake.
                if (_out == OutputState.AfterTls12ServerHello && _output.ChangeCipherSpecSeen)
                {
                    FinishOutput(true);
                }

                return;
            }
        }
    }

    /// <summary>Returns the buffers; a hello still incomplete counts as truncated.</summary>
    public void Dispose()
    {
        OnInputEnded();
        FinishOutput(Feature.Resumed);
    }

    private void OnInput(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        if (_in == InputState.Undecided)
        {
            if (bytes[0] != HandshakeRecord)
            {
                _in = InputState.Done;
                return;
            }

            IsTls = true;
            _in = InputState.Hello;
            _input = new HandshakeMessageAssembler(skipChangeCipherSpec: false);
        }

        _input!.Feed(bytes, out var progress);
        if (progress == HandshakeProgress.Failed)
        {
            FinishInput(_input.Failure);
        }
        else if (progress == HandshakeProgress.Message)
        {
            if (_input.MessageType != ClientHelloType)
            {
                FinishInput(ClientHelloFailure.NotClientHello);
                return;
            }

            var failure = ClientHelloReader.TryRead(_input.MessageBody, out var hello);
            if (hello is not null)
            {
                Feature.ClientHello = hello;
                Feature.Ja4 = Ja4Fingerprint.Compute(hello);
            }

            FinishInput(failure);
        }
    }

    private void FinishInput(ClientHelloFailure failure)
    {
        _in = InputState.Done;
        Feature.Failure = failure;
        _input?.Dispose();
        _input = null;
        metrics?.ClientHello(failure);
    }

    private void OnServerMessage()
    {
        var type = _output!.MessageType;
        if (_out == OutputState.AfterTls12ServerHello)
        {
            // RFC 5246 7.3: a full handshake goes on with the server's certificate or key exchange;
            // an abbreviated one with a new ticket or straight to ChangeCipherSpec.
            FinishOutput(type switch
            {
                4 => true,
                11 or 12 or 13 or 14 => false,
                _ => null,
            });
            return;
        }

        if (type != ServerHelloReader.ServerHelloType
            || !ServerHelloReader.TryRead(_output.MessageBody, out var version, out var helloRetry, out var psk))
        {
            FinishOutput(null);
            return;
        }

        _output.Next();
        if (helloRetry)
        {
            // The client answers with a second ClientHello; the real ServerHello follows.
            return;
        }

        if (version == Tls13)
        {
            FinishOutput(psk);
            return;
        }

        _out = OutputState.AfterTls12ServerHello;
    }

    private void FinishOutput(bool? resumed)
    {
        _out = OutputState.Done;
        Feature.Resumed = resumed;
        _output?.Dispose();
        _output = null;
    }
}

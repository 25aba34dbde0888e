using Gateway.Correlation;

namespace Gateway.Forwarding;

/// <summary>
/// One per forwarded request: the upstream connection stream stamps it with its 5-tuple
/// whenever it reads or writes on behalf of the request, so that after forwarding the
/// gateway knows which pooled connection really carried the request.
/// </summary>
internal sealed class UpstreamConnectionHolder
{
    private readonly Lock _gate = new();
    private ConnectionTuple? _tuple;
    private object? _stamped; // who stamped last (its connection), read without the lock on every read and write
    private int? _statusCode;
    private FailedConnect? _failedConnect;
    private bool _sealed;
    private WireTracking _tracking;

    /// <summary>
    /// The wire view told when the request lands on a connection: it marks the request in flight
    /// there (kernel events on it become events of <see cref="Span"/>) until the holder is sealed.
    /// </summary>
    public IWireView? WireView { get; init; }

    /// <summary>The client span the kernel's events on the stamped connection go to (with <see cref="WireView"/>).</summary>
    public Telemetry.Records.SpanData? Span { get; init; }

    /// <summary>The connection that carried the request; null when none was used (e.g. connect failed).</summary>
    public ConnectionTuple? Tuple
    {
        get { lock (_gate) { return _tuple; } }
    }

    /// <summary>True when the connection that carried the request has closed already (it broke mid-response).</summary>
    public bool ConnectionClosed => Volatile.Read(ref _stamped) is UpstreamConnectionStream { IsClosed: true };

    /// <summary>The status code the destination answered with; null when no response arrived.</summary>
    public int? StatusCode
    {
        get { lock (_gate) { return _statusCode; } }
    }

    /// <summary>A connect attempt made on this request's flow that failed; null when none did (or it ran on another flow).</summary>
    public FailedConnect? FailedConnect
    {
        get { lock (_gate) { return _failedConnect; } }
    }

    /// <summary>Records a failed connect attempt made for this request.</summary>
    public void ConnectFailed(FailedConnect attempt)
    {
        lock (_gate)
        {
            if (!_sealed)
            {
                _failedConnect = attempt;
            }
        }
    }

    /// <summary>Records that <paramref name="tuple"/> carried bytes of this request.</summary>
    public void Stamp(ConnectionTuple tuple) => Stamp(tuple, by: null);

    /// <summary>
    /// As <see cref="Stamp(ConnectionTuple)"/>, from <paramref name="by"/>, an object standing for the
    /// connection (its stream): every read and write stamps, and the same one again costs no lock.
    /// </summary>
    public void Stamp(ConnectionTuple tuple, object? by)
    {
        if (by is not null && ReferenceEquals(Volatile.Read(ref _stamped), by))
        {
            return;
        }

        lock (_gate)
        {
            // A read started for this request may complete after it ended (the pool's
            // read-ahead); once sealed, the answer is final.
            if (!_sealed && _tuple != tuple)
            {
                _tuple = tuple;
                Volatile.Write(ref _stamped, by);
                _tracking.Dispose();
                _tracking = Span is { } span && WireView is { } view ? view.Track(tuple, span) : default;
            }
        }
    }

    /// <summary>Records the destination's status code.</summary>
    public void SetStatusCode(int statusCode)
    {
        lock (_gate)
        {
            if (!_sealed)
            {
                _statusCode = statusCode;
            }
        }
    }

    /// <summary>Ends the request: later stamps are ignored.</summary>
    public void Seal()
    {
        lock (_gate)
        {
            _sealed = true;
            _tracking.Dispose();
            _tracking = default;
        }
    }
}

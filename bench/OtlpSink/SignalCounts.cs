namespace OtlpSink;

/// <summary>
/// What one signal's endpoint received: export requests, body bytes as they came over the
/// wire (compressed where the exporter compressed), and with item counting on, the bytes
/// after gunzip and named item counts (<see cref="ItemCounter"/>).
/// </summary>
internal sealed class SignalCounts
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<string, long> _items = new(StringComparer.Ordinal);
    private long _requests;
    private long _wireBytes;
    private long _gzipRequests;
    private long _uncompressedBytes;
    private long _undecodable;
    private long _largest;

    public void Request(long wireBytes, bool gzip)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _wireBytes, wireBytes);
        var largest = Interlocked.Read(ref _largest);
        while (wireBytes > largest && Interlocked.CompareExchange(ref _largest, wireBytes, largest) != largest)
        {
            largest = Interlocked.Read(ref _largest);
        }

        if (gzip)
        {
            Interlocked.Increment(ref _gzipRequests);
        }
    }

    public void Uncompressed(long bytes) => Interlocked.Add(ref _uncompressedBytes, bytes);

    public long Undecodable() => Interlocked.Increment(ref _undecodable);

    public void Add(string item, long count)
    {
        lock (_gate)
        {
            _items[item] = _items.GetValueOrDefault(item) + count;
        }
    }

    public long Requests => Interlocked.Read(ref _requests);

    public long WireBytes => Interlocked.Read(ref _wireBytes);

    /// <summary>The counts as one JSON object (GET /stats).</summary>
    public Dictionary<string, object> Snapshot()
    {
        lock (_gate)
        {
            return new Dictionary<string, object>
            {
                ["requests"] = Requests,
                ["gzip_requests"] = Interlocked.Read(ref _gzipRequests),
                ["wire_bytes"] = WireBytes,
                ["largest_request_wire_bytes"] = Interlocked.Read(ref _largest),
                ["uncompressed_bytes"] = Interlocked.Read(ref _uncompressedBytes),
                ["undecodable_requests"] = Interlocked.Read(ref _undecodable),
                ["items"] = new SortedDictionary<string, long>(_items, StringComparer.Ordinal),
            };
        }
    }
}

using System.Collections.Concurrent;

namespace GrpcTestService;

/// <summary>The calls the backend received, in arrival order.</summary>
public sealed class CallLog
{
    private readonly ConcurrentQueue<SeenCall> _calls = new();

    /// <summary>Every call so far.</summary>
    public IReadOnlyList<SeenCall> All => [.. _calls];

    /// <summary>Notes a call.</summary>
    public void Add(SeenCall call) => _calls.Enqueue(call);
}

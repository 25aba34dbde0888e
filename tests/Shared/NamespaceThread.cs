using System.Runtime.InteropServices;

namespace TestSupport;

/// <summary>
/// Runs code on a thread of its own that has entered a named network namespace
/// (<c>/run/netns/NAME</c>): sockets it makes and TC attachments it adds belong to that namespace
/// for their whole life. Linked into the test projects that make namespaces (KernelProbe.Tests'
/// TestNetns, EndToEnd.Tests' PeerNamespace).
/// </summary>
internal static partial class NamespaceThread
{
    private const int CloneNewNet = 0x40000000;

    /// <summary>
    /// Runs <paramref name="action"/> inside namespace <paramref name="name"/> and returns its result;
    /// waits at most <paramref name="bound"/> (forever when null); a failure inside comes out wrapped.
    /// </summary>
    public static T Run<T>(string name, Func<T> action, TimeSpan? bound = null)
    {
        T? result = default;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using SafeHandle ns = File.OpenHandle($"/run/netns/{name}");
                if (SetNs((int)ns.DangerousGetHandle(), CloneNewNet) != 0)
                    throw new InvalidOperationException($"setns into {name} failed: errno {Marshal.GetLastPInvokeError()}");
                result = action();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        if (bound is { } limit)
        {
            if (!thread.Join(limit))
                throw new TimeoutException($"code in network namespace {name} did not finish within {limit.TotalSeconds:0} s");
        }
        else
        {
            thread.Join();
        }

        if (failure is not null)
            throw new AggregateException($"in network namespace {name}", failure);
        return result!;
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);
}

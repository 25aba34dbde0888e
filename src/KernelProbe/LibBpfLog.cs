using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using KernelProbe.Native;

namespace KernelProbe;

/// <summary>
/// Routes libbpf's own messages (which it would otherwise print to stderr)
/// into this library: the latest lines are kept so that errors can quote them,
/// and an optional sink receives each one.
/// </summary>
public static unsafe class LibBpfLog
{
    private const int Kept = 64;
    private static readonly Queue<string> Recent = new();
    private static int installed;

    /// <summary>Receives every libbpf message (level, text). Null to only keep them for errors.</summary>
    public static Action<LibBpfLogLevel, string>? Sink { get; set; }

    /// <summary>Installs the callback into libbpf; idempotent.</summary>
    internal static void Install()
    {
        if (Interlocked.Exchange(ref installed, 1) == 0)
            LibBpf.SetPrint((nint)(delegate* unmanaged<int, byte*, nint, int>)&Print);
    }

    /// <summary>Returns and forgets the messages libbpf printed since the last call.</summary>
    internal static string? TakeRecent()
    {
        lock (Recent)
        {
            if (Recent.Count == 0)
                return null;
            string text = string.Join('\n', Recent);
            Recent.Clear();
            return text;
        }
    }

    [UnmanagedCallersOnly]
    private static int Print(int level, byte* format, nint args)
    {
        const int size = 4096;
        byte* buffer = stackalloc byte[size];
        int written = LibBpfMisc.VsnPrintf(buffer, size, format, args);
        if (written <= 0)
            return 0;
        string text = Encoding.UTF8.GetString(buffer, Math.Min(written, size - 1)).TrimEnd('\n');
        // Errors quote libbpf's warnings; its info and debug chatter is only for the sink.
        if (level == (int)LibBpfLogLevel.Warning)
        {
            lock (Recent)
            {
                Recent.Enqueue(text);
                while (Recent.Count > Kept)
                    Recent.Dequeue();
            }
        }
        try
        {
            Sink?.Invoke((LibBpfLogLevel)level, text);
        }
        catch (Exception)
        {
            // A sink must never unwind into native code.
        }
        return 0;
    }
}

/// <summary>enum libbpf_print_level.</summary>
public enum LibBpfLogLevel
{
    /// <summary>LIBBPF_WARN.</summary>
    Warning = 0,
    /// <summary>LIBBPF_INFO.</summary>
    Info = 1,
    /// <summary>LIBBPF_DEBUG.</summary>
    Debug = 2,
}

using System.Runtime.InteropServices;

namespace KernelProbe;

/// <summary>
/// A kernel or libbpf operation failed. The message carries the whole chain of
/// what was being done (<c>attach tc egress lo: load program gw_tc_egress:
/// operation not permitted</c>); <see cref="Errno"/> the error number.
/// </summary>
public sealed class ProbeException : Exception
{
    /// <summary>Creates an exception for <paramref name="operation"/> failing with <paramref name="errno"/>.</summary>
    public ProbeException(string operation, int errno, string? detail = null, Exception? inner = null)
        : base(Compose(operation, errno, detail), inner)
    {
        Operation = operation;
        Errno = errno;
        Detail = detail;
    }

    private ProbeException(string operation, ProbeException inner)
        : base($"{operation}: {inner.Message}", inner)
    {
        Operation = operation;
        Errno = inner.Errno;
        Detail = inner.Detail;
    }

    /// <summary>What was being done, outermost first.</summary>
    public string Operation { get; }

    /// <summary>The positive errno the kernel or libbpf reported (0 when none).</summary>
    public int Errno { get; }

    /// <summary>Extra text such as the verifier log; null when none.</summary>
    public string? Detail { get; }

    /// <summary>True when the verifier refused a program; <see cref="Detail"/> then holds its log.</summary>
    public bool IsVerifierRejection => Detail?.StartsWith(VerifierLogHeading, StringComparison.Ordinal) == true;

    /// <summary>
    /// True when the failure means missing privileges (EPERM, EACCES). The verifier
    /// also answers EACCES when it refuses a program: that is a defect of the program,
    /// never a reason to degrade quietly, so it does not count here.
    /// </summary>
    public bool IsPermissionDenied => Errno is Errnos.EPERM or Errnos.EACCES && !IsVerifierRejection;

    internal const string VerifierLogHeading = "verifier log:";

    /// <summary>Wraps this failure in an outer operation, keeping the errno.</summary>
    public ProbeException In(string outerOperation) => new(outerOperation, this);

    internal static ProbeException FromResult(string operation, int result, string? detail = null) =>
        new(operation, result < 0 ? -result : Marshal.GetLastPInvokeError(), detail);

    internal static ProbeException FromLastError(string operation, string? detail = null) =>
        new(operation, Marshal.GetLastPInvokeError(), detail);

    private static string Compose(string operation, int errno, string? detail)
    {
        string reason = errno == 0 ? "failed" : $"{Marshal.GetPInvokeErrorMessage(errno).ToLowerInvariant()} (errno {errno})";
        return detail is null ? $"{operation}: {reason}" : $"{operation}: {reason}\n{detail}";
    }
}

/// <summary>The errno values this library reasons about (Linux numbering).</summary>
internal static class Errnos
{
    internal const int EPERM = 1;
    internal const int ENOENT = 2;
    internal const int ESRCH = 3;
    internal const int EACCES = 13;
    internal const int EEXIST = 17;
    internal const int ENODEV = 19;
    internal const int EINVAL = 22;
}

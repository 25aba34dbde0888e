using System.Diagnostics;

namespace Gateway.Tests.Tls;

/// <summary>Runs a TLS client program (curl, openssl, python3) to its end, bounded in time, and returns what it printed.</summary>
internal static class ClientProcess
{
    /// <summary>Runs <paramref name="file"/>; fails the test when it does not finish within 20 s, or exits other than 0 unless <paramref name="anyExit"/>.</summary>
    public static async Task<string> RunAsync(string file, IEnumerable<string> args, string? stdin = null, bool anyExit = false)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 20 s");
        }

        Assert.True(anyExit || process.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await errors}");
        return await output;
    }
}

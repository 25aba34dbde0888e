using Gateway.Hosting;

namespace Gateway;

/// <summary>The <c>Gateway</c> executable.</summary>
public static class Program
{
    /// <summary>Exit code when the gateway could not start for a reason other than its configuration.</summary>
    public const int StartFailedExitCode = 1;

    /// <summary>Runs the gateway until it is stopped; 2 means the configuration was refused.</summary>
    public static async Task<int> Main(string[] args)
    {
        try
        {
            if (GatewayCommandLine.Parse(args).Help)
            {
                Console.Out.WriteLine(GatewayCommandLine.Usage);
                return 0;
            }

            await using var gateway = GatewayHost.Create(args);
            return await gateway.RunAsync();
        }
        catch (GatewayStartupException e)
        {
            foreach (var error in e.Errors)
            {
                Console.Error.WriteLine($"gateway: {error}");
            }

            return GatewayStartupException.ExitCode;
        }
        catch (IOException e)
        {
            // Typically a port already in use, for the gateway or the demo backend.
            Console.Error.WriteLine($"gateway: cannot start: {e.Message}");
            return StartFailedExitCode;
        }
    }
}

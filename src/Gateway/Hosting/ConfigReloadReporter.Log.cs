using Microsoft.Extensions.Logging;

namespace Gateway.Hosting;

internal sealed partial class ConfigReloadReporter
{
    private static partial class Log
    {
        [LoggerMessage(EventId = Telemetry.GatewayEventIds.ConfigReloaded, EventName = nameof(Telemetry.GatewayEventIds.ConfigReloaded),
            Level = LogLevel.Information, Message = "Configuration file {File} changed and was applied: {Settings}")]
        public static partial void Applied(ILogger logger, string file, string settings);

        [LoggerMessage(EventId = Telemetry.GatewayEventIds.ConfigReloadRefused, EventName = nameof(Telemetry.GatewayEventIds.ConfigReloadRefused),
            Level = LogLevel.Warning, Message = "Configuration file {File} changed but was refused, the running configuration keeps serving: {Problem}")]
        public static partial void Refused(ILogger logger, string file, string problem);

        [LoggerMessage(EventId = Telemetry.GatewayEventIds.ConfigRestartRequired, EventName = nameof(Telemetry.GatewayEventIds.ConfigRestartRequired),
            Level = LogLevel.Warning, Message = "{Section} changed in {File}; it is read once at start and takes effect after a restart")]
        public static partial void RestartRequired(ILogger logger, string section, string file);
    }
}

using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Gateway.Telemetry;

/// <summary>
/// Says why exports fail: every failed OTLP export call (and every partial success that rejected
/// items) is logged with its reason (HTTP status, gRPC code and message, or the connection error),
/// its signal and its endpoint. The first failure of a signal is logged at once; after that at most
/// one line per signal per interval, which also says how many failed calls and lost items it stands for.
/// </summary>
/// <remarks>
/// The reason quotes what a collector answered: it is escaped (<see cref="ConsoleLineFormatter.AppendEscaped"/>)
/// so that it cannot forge a log line. It never holds a header value (<see cref="Otlp.OtlpSendResult.Error"/>).
/// </remarks>
internal sealed partial class ExportFailureLog(ILogger<ExportFailureLog> logger, TimeSpan interval)
{
    private readonly Dictionary<TelemetrySignal, State> _states = [];

    /// <summary>Reports one failed export call of <paramref name="signal"/> to <paramref name="endpoint"/> that lost <paramref name="items"/> items.</summary>
    public void Failed(TelemetrySignal signal, Uri endpoint, string? reason, long items, int attempts) =>
        Report(signal, endpoint, reason ?? "no reason given", items, attempts, rejected: false);

    /// <summary>Reports an export the collector took in part: <paramref name="items"/> items rejected.</summary>
    public void Rejected(TelemetrySignal signal, Uri endpoint, string? reason, long items) =>
        Report(signal, endpoint, reason ?? $"partial success: {items} item(s) rejected", items, attempts: 1, rejected: true);

    /// <summary>Logs what was held back since each signal's last line (at stop): nothing is left unsaid.</summary>
    public void Flush()
    {
        lock (_states)
        {
            foreach (var (signal, state) in _states)
            {
                if (state.HeldCalls > 0)
                {
                    Log.FailuresHeldBack(logger, TelemetryLoss.Name(signal), state.HeldCalls, state.HeldItems, state.LastEndpoint, state.LastReason);
                    state.HeldCalls = 0;
                    state.HeldItems = 0;
                }
            }
        }
    }

    private void Report(TelemetrySignal signal, Uri endpoint, string reason, long items, int attempts, bool rejected)
    {
        var escaped = new StringBuilder(reason.Length + 16);
        ConsoleLineFormatter.AppendEscaped(escaped, reason);
        var text = escaped.ToString();
        var where = endpoint.ToString();
        lock (_states)
        {
            if (!_states.TryGetValue(signal, out var state))
            {
                _states[signal] = state = new State();
            }

            var now = Stopwatch.GetTimestamp();
            if (state.LastLogged != 0 && Stopwatch.GetElapsedTime(state.LastLogged, now) < interval)
            {
                state.HeldCalls++;
                state.HeldItems += items;
                state.LastReason = text;
                state.LastEndpoint = where;
                return;
            }

            var held = state.HeldCalls == 0
                ? ""
                : $"; with {state.HeldCalls} more failure(s) ({state.HeldItems} item(s)) since the last report";
            if (rejected)
            {
                Log.ExportRejected(logger, TelemetryLoss.Name(signal), where, text, items, held);
            }
            else
            {
                Log.ExportFailed(logger, TelemetryLoss.Name(signal), where, text, items, attempts, held);
            }

            state.LastLogged = now;
            state.HeldCalls = 0;
            state.HeldItems = 0;
        }
    }

    private sealed class State
    {
        public long LastLogged;
        public int HeldCalls;
        public long HeldItems;
        public string LastReason = "";
        public string LastEndpoint = "";
    }
}

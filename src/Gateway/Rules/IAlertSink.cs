namespace Gateway.Rules;

/// <summary>Where alerts go: the <c>gateway.alert</c> log record, the webhook. An implementation never blocks the caller.</summary>
public interface IAlertSink
{
    /// <summary>Takes one alert; returns at once.</summary>
    void Emit(RuleAlert alert);
}

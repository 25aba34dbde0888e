using Grpc.Core;
using OtlpReceiver.Protocol.Collector.Logs;
using OtlpReceiver.Protocol.Collector.Metrics;
using OtlpReceiver.Protocol.Collector.Trace;

namespace OtlpReceiver;

/// <summary>OTLP/gRPC <c>TraceService/Export</c>.</summary>
internal sealed class GrpcTraceService(ExportSink sink) : TraceService.TraceServiceBase
{
    public override async Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context)
    {
        await GrpcAdmission.AdmitAsync(sink, OtlpSignal.Traces, context).ConfigureAwait(false);
        sink.Record(request, OtlpTransport.Grpc);
        return new ExportTraceServiceResponse();
    }
}

/// <summary>OTLP/gRPC <c>LogsService/Export</c>.</summary>
internal sealed class GrpcLogsService(ExportSink sink) : LogsService.LogsServiceBase
{
    public override async Task<ExportLogsServiceResponse> Export(ExportLogsServiceRequest request, ServerCallContext context)
    {
        await GrpcAdmission.AdmitAsync(sink, OtlpSignal.Logs, context).ConfigureAwait(false);
        sink.Record(request, OtlpTransport.Grpc);
        return new ExportLogsServiceResponse();
    }
}

/// <summary>OTLP/gRPC <c>MetricsService/Export</c>.</summary>
internal sealed class GrpcMetricsService(ExportSink sink) : MetricsService.MetricsServiceBase
{
    public override async Task<ExportMetricsServiceResponse> Export(ExportMetricsServiceRequest request, ServerCallContext context)
    {
        await GrpcAdmission.AdmitAsync(sink, OtlpSignal.Metrics, context).ConfigureAwait(false);
        sink.Record(request);
        return new ExportMetricsServiceResponse();
    }
}

internal static class GrpcAdmission
{
    /// <summary>Applies the receiver mode; a refusal is UNAVAILABLE, which OTLP exporters treat as retryable.</summary>
    public static async Task AdmitAsync(ExportSink sink, OtlpSignal signal, ServerCallContext context)
    {
        if (!await sink.AdmitAsync(signal, OtlpTransport.Grpc, context.CancellationToken).ConfigureAwait(false))
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"OTLP test receiver is in mode {sink.Mode}."));
        }
    }
}

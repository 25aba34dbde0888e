using System.IO.Compression;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using OtlpReceiver.Protocol.Collector.Logs;
using OtlpReceiver.Protocol.Collector.Metrics;
using OtlpReceiver.Protocol.Collector.Trace;

namespace OtlpReceiver;

/// <summary>OTLP/HTTP with binary protobuf bodies: <c>POST /v1/traces</c>, <c>/v1/logs</c>, <c>/v1/metrics</c>.</summary>
internal static class HttpExportEndpoints
{
    public const string ProtobufContentType = "application/x-protobuf";

    public static void Map(IEndpointRouteBuilder endpoints, ExportSink sink)
    {
        endpoints.MapPost("/v1/traces", context => HandleAsync(
            context, sink, OtlpSignal.Traces, ExportTraceServiceRequest.Parser,
            request => sink.Record(request, OtlpTransport.Http), new ExportTraceServiceResponse()));
        endpoints.MapPost("/v1/logs", context => HandleAsync(
            context, sink, OtlpSignal.Logs, ExportLogsServiceRequest.Parser,
            request => sink.Record(request, OtlpTransport.Http), new ExportLogsServiceResponse()));
        endpoints.MapPost("/v1/metrics", context => HandleAsync(
            context, sink, OtlpSignal.Metrics, ExportMetricsServiceRequest.Parser,
            sink.Record, new ExportMetricsServiceResponse()));
    }

    private static async Task HandleAsync<TRequest>(
        HttpContext context,
        ExportSink sink,
        OtlpSignal signal,
        MessageParser<TRequest> parser,
        Action<TRequest> record,
        IMessage response)
        where TRequest : IMessage<TRequest>
    {
        var http = context.Request;
        if (!MediaTypeHeaderValue.TryParse(http.ContentType, out var mediaType)
            || !mediaType.MediaType.Equals(ProtobufContentType, StringComparison.OrdinalIgnoreCase))
        {
            await PlainAsync(context, StatusCodes.Status415UnsupportedMediaType,
                $"OTLP test receiver: Content-Type '{http.ContentType}' is not supported; only OTLP/HTTP binary " +
                $"protobuf ('{ProtobufContentType}') is. OTLP/HTTP JSON is not implemented.").ConfigureAwait(false);
            return;
        }

        var encoding = http.Headers.ContentEncoding.ToString().Trim();
        var gzip = encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase);
        if (!gzip && encoding.Length != 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            await PlainAsync(context, StatusCodes.Status415UnsupportedMediaType,
                $"OTLP test receiver: Content-Encoding '{encoding}' is not supported; send 'gzip' or no encoding.").ConfigureAwait(false);
            return;
        }

        TRequest request;
        try
        {
            using var body = new MemoryStream();
            if (gzip)
            {
                await using var inflate = new GZipStream(http.Body, CompressionMode.Decompress, leaveOpen: true);
                await inflate.CopyToAsync(body, context.RequestAborted).ConfigureAwait(false);
            }
            else
            {
                await http.Body.CopyToAsync(body, context.RequestAborted).ConfigureAwait(false);
            }

            request = parser.ParseFrom(body.GetBuffer(), 0, (int)body.Length);
        }
        catch (InvalidDataException e)
        {
            await PlainAsync(context, StatusCodes.Status400BadRequest,
                $"OTLP test receiver: the body is marked gzip but does not inflate: {e.Message}").ConfigureAwait(false);
            return;
        }
        catch (InvalidProtocolBufferException e)
        {
            await PlainAsync(context, StatusCodes.Status400BadRequest,
                $"OTLP test receiver: the body is not a valid {typeof(TRequest).Name}: {e.Message}").ConfigureAwait(false);
            return;
        }

        if (!await sink.AdmitAsync(signal, OtlpTransport.Http, context.RequestAborted).ConfigureAwait(false))
        {
            await PlainAsync(context, StatusCodes.Status503ServiceUnavailable,
                $"OTLP test receiver is in mode {sink.Mode}.").ConfigureAwait(false);
            return;
        }

        record(request);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = ProtobufContentType;
        await context.Response.Body.WriteAsync(response.ToByteArray(), context.RequestAborted).ConfigureAwait(false);
    }

    private static Task PlainAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(message + "\n", context.RequestAborted);
    }
}

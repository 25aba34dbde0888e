using System.Text.Json;
using Gateway.Telemetry.Records;
using Gateway.Tests.Support;
using Grpc.Core;
using GrpcTestService;

namespace Gateway.Tests.Grpc;

/// <summary>
/// A failed gRPC call is HTTP 200: its status alone says it failed. Through a real gateway with
/// <c>Sampling:Ratio=0</c>, the statuses OpenTelemetry's gRPC conventions count as a server's errors
/// are kept, with <c>error.type</c> and an error status on both spans; the others are an ordinary
/// call to the server span (dropped at ratio 0) and an error only on the client span.
/// </summary>
public sealed class GrpcErrorStatusTests : IAsyncLifetime
{
    private GrpcGateway _gateway = null!;
    private global::Grpc.Net.Client.GrpcChannel _channel = null!;
    private Echo.EchoClient _client = null!;

    public async Task InitializeAsync()
    {
        _gateway = await GrpcGateway.StartAsync(settings: ["--Sampling:Ratio=0"]);
        _channel = EchoClients.Channel(_gateway.Address);
        _client = EchoClients.Client(_channel);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _gateway.DisposeAsync();
    }

    [Fact]
    public async Task RatioZero_ServerErrorStatusesAreKeptAsErrors_OtherStatusesAreDropped()
    {
        StatusCode[] errors = [StatusCode.Unknown, StatusCode.DeadlineExceeded, StatusCode.Unimplemented, StatusCode.Internal, StatusCode.Unavailable, StatusCode.DataLoss];
        StatusCode[] answers = [StatusCode.OK, StatusCode.Cancelled, StatusCode.InvalidArgument, StatusCode.NotFound, StatusCode.PermissionDenied,
            StatusCode.ResourceExhausted, StatusCode.FailedPrecondition, StatusCode.Unauthenticated];
        var ids = new Dictionary<StatusCode, (string Id, string Trace)>();
        // The dropped ones first: once the last kept call's record is there, theirs would have been written.
        foreach (var status in answers.Concat(errors))
        {
            var id = Guid.NewGuid().ToString("N")[..12];
            var trace = _gateway.Spans.NewTrace(id);
            ids[status] = (id, trace);
            using var call = _client.UnaryAsync(new EchoRequest { Text = "x", FailWith = (int)status },
                new Metadata { { "x-call-id", id }, { "traceparent", TraceSpanCollector.Header(trace) } });
            if (status == StatusCode.OK)
            {
                await call;
            }
            else
            {
                Assert.Equal(status, (await Assert.ThrowsAsync<RpcException>(async () => await call)).StatusCode);
            }
        }

        var spans = await _gateway.Spans.WaitForAsync(s => errors.All(e => s.Count(a => a.TraceId == ids[e].Trace) == 2));
        foreach (var status in errors)
        {
            var (id, trace) = ids[status];
            var name = ErrorName(status);
            var record = await JsonLines.WaitForAsync(_gateway.Config.JsonLinesPath, r => IsAccessOf(r, id));
            var attributes = record.Attributes();
            Assert.Equal(200, attributes.GetProperty("http.response.status_code").GetInt32());
            Assert.Equal((int)status, attributes.GetProperty("rpc.grpc.status_code").GetInt32());
            Assert.Equal(name, attributes.GetProperty("error.type").GetString());

            var server = Assert.Single(spans, s => s.TraceId == trace && s.Kind == SpanKindCode.Server);
            Assert.Equal(SpanStatusCode.Error, server.Status);
            Assert.Equal(name, server.Tag("error.type"));
            var client = Assert.Single(spans, s => s.TraceId == trace && s.Kind == SpanKindCode.Client);
            Assert.Equal(SpanStatusCode.Error, client.Status);
            Assert.Equal(name, client.Tag("error.type"));
        }

        await Task.Delay(300);
        var written = JsonLines.ReadAll(_gateway.Config.JsonLinesPath).ToList();
        foreach (var status in answers)
        {
            Assert.DoesNotContain(written, r => IsAccessOf(r, ids[status].Id));
            Assert.DoesNotContain(_gateway.Spans.Exported, s => s.TraceId == ids[status].Trace);
        }
    }

    private static string ErrorName(StatusCode status) => status switch
    {
        StatusCode.DeadlineExceeded => "DEADLINE_EXCEEDED",
        StatusCode.DataLoss => "DATA_LOSS",
        _ => status.ToString().ToUpperInvariant(),
    };

    private static bool IsAccessOf(JsonElement record, string id) =>
        record.GetProperty("event").GetString() == "gateway.access" && record.HasHeader("http.request.header.x-call-id", id);
}

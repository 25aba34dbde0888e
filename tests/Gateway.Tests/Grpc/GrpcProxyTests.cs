using System.Text.Json;
using Gateway.Tests.Support;
using Google.Protobuf;
using Grpc.Core;
using GrpcTestService;

namespace Gateway.Tests.Grpc;

/// <summary>
/// A real Grpc.Net.Client through the gateway (h2c listener, HTTP/2 cluster) to a real
/// Grpc.AspNetCore backend: every call shape, deadlines, cancellation, non-OK statuses and
/// large messages pass, and each call leaves one access record when it ends.
/// </summary>
public sealed class GrpcProxyTests : IAsyncLifetime
{
    private GrpcGateway _gateway = null!;
    private global::Grpc.Net.Client.GrpcChannel _channel = null!;
    private Echo.EchoClient _client = null!;

    public async Task InitializeAsync()
    {
        _gateway = await GrpcGateway.StartAsync();
        _channel = EchoClients.Channel(_gateway.Address);
        _client = EchoClients.Client(_channel);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _gateway.DisposeAsync();
    }

    [Fact]
    public async Task Unary_ThroughTheGateway_OneRecordWithRpcAttributesAndRedactedMetadata()
    {
        var id = NewId();
        var headers = new Metadata { { "x-call-id", id }, { "authorization", "Bearer very-secret" } };
        using var call = _client.UnaryAsync(new EchoRequest { Text = "hi" }, headers);

        var reply = await call;
        Assert.Equal("hi", reply.Text);
        Assert.Equal("sent", (await call.ResponseHeadersAsync).GetValue(EchoMetadata.HeaderName));
        Assert.Equal("done", call.GetTrailers().GetValue(EchoMetadata.TrailerName));
        // Metadata reaches the backend as sent: redaction is for the record only.
        var seen = Assert.Single(_gateway.Server.Calls.All, c => c.CallId == id);
        Assert.Equal("Bearer very-secret", seen.Authorization);
        Assert.Equal("HTTP/2", seen.Protocol);

        var record = await RecordOf(id);
        var attributes = record.Attributes();
        Assert.Equal("POST", attributes.GetProperty("http.request.method").GetString());
        Assert.Equal("/gateway.test.Echo/Unary", attributes.GetProperty("url.path").GetString());
        Assert.Equal(200, attributes.GetProperty("http.response.status_code").GetInt32());
        Assert.Equal("2", attributes.GetProperty("network.protocol.version").GetString());
        Assert.True(record.HasHeader("http.request.header.authorization", "[REDACTED]"));
        Assert.True(record.HasHeader("http.request.header.x-call-id", id));
        Assert.True(record.HasHeader("http.response.header.x-echo-header", "sent"));
        Assert.DoesNotContain("very-secret", File.ReadAllText(_gateway.Config.JsonLinesPath), StringComparison.Ordinal);
        AssertRpc(attributes, "Unary", StatusCode.OK);
    }

    [Theory]
    [InlineData(StatusCode.NotFound)]
    [InlineData(StatusCode.Internal)]
    public async Task Unary_NonOkStatus_ReachesTheClientWithItsTrailersAndTheRecordSaysIt(StatusCode status)
    {
        var id = NewId();
        using var call = _client.UnaryAsync(new EchoRequest { FailWith = (int)status }, new Metadata { { "x-call-id", id } });

        var error = await Assert.ThrowsAsync<RpcException>(async () => await call);
        Assert.Equal(status, error.StatusCode);
        Assert.Equal("asked", error.Trailers.GetValue("x-fail-reason"));

        var attributes = (await RecordOf(id)).Attributes();
        // gRPC answers HTTP 200 and puts the outcome in the trailers.
        Assert.Equal(200, attributes.GetProperty("http.response.status_code").GetInt32());
        AssertRpc(attributes, "Unary", status);
    }

    [Fact]
    public async Task ServerStreaming_AllMessagesArriveAndTheCallLeavesOneRecordWithItsDuration()
    {
        var id = NewId();
        using var call = _client.ServerStream(new EchoRequest { Text = "s", Count = 20, DelayMs = 150 }, new Metadata { { "x-call-id", id } });

        var indexes = new List<int>();
        await foreach (var reply in call.ResponseStream.ReadAllAsync())
        {
            indexes.Add(reply.Index);
        }

        Assert.Equal(Enumerable.Range(0, 20), indexes);
        var record = await RecordOf(id);
        Assert.True(record.Attributes().GetProperty("gateway.request.duration_ms").GetDouble() >= 150);
        AssertRpc(record.Attributes(), "ServerStream", StatusCode.OK);
        await Task.Delay(100);
        Assert.Single(Records(id));
    }

    [Fact]
    public async Task ClientStreaming_EveryMessageReachesTheBackend()
    {
        var id = NewId();
        using var call = _client.ClientStream(new Metadata { { "x-call-id", id } });
        for (int i = 0; i < 10; i++)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Text = i.ToString(System.Globalization.CultureInfo.InvariantCulture), Payload = ByteString.CopyFrom(new byte[1000]) });
        }

        await call.RequestStream.CompleteAsync();
        var reply = await call;

        Assert.Equal("0,1,2,3,4,5,6,7,8,9", reply.Text);
        Assert.Equal(10_000, reply.ReceivedBytes);
        AssertRpc((await RecordOf(id)).Attributes(), "ClientStream", StatusCode.OK);
    }

    [Fact]
    public async Task Bidirectional_RepliesInterleaveWithRequestsAndAFailureMidStreamIsRecorded()
    {
        var id = NewId();
        using var call = _client.Bidi(new Metadata { { "x-call-id", id } });
        for (int i = 0; i < 5; i++)
        {
            // Each reply arrives before the next request is sent: a real full-duplex exchange through the gateway.
            await call.RequestStream.WriteAsync(new EchoRequest { Text = $"m{i}" });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal($"m{i}", call.ResponseStream.Current.Text);
        }

        await call.RequestStream.WriteAsync(new EchoRequest { FailWith = (int)StatusCode.ResourceExhausted });
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        AssertRpc((await RecordOf(id)).Attributes(), "Bidi", StatusCode.ResourceExhausted);
    }

    [Fact]
    public async Task Deadline_Exceeded_TheClientSeesItAndTheCallIsRecordedAsFailed()
    {
        var id = NewId();
        // The connection exists already, so the deadline is spent on the call, not on connecting.
        await _client.UnaryAsync(new EchoRequest());
        using var call = _client.UnaryAsync(new EchoRequest { DelayMs = 5000 }, new Metadata { { "x-call-id", id } }, deadline: DateTime.UtcNow.AddMilliseconds(1000));

        var error = await Assert.ThrowsAsync<RpcException>(async () => await call);
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);

        var attributes = (await RecordOf(id)).Attributes();
        Assert.True(attributes.GetProperty("gateway.request.duration_ms").GetDouble() < 4000);
        // Client and backend share the deadline (grpc-timeout travels upstream): whichever acts first
        // ends the call, the client's cancel (CANCELLED seen by the gateway) or the backend's trailers.
        var code = attributes.GetProperty("rpc.grpc.status_code").GetInt32();
        Assert.Contains(code, new[] { (int)StatusCode.Cancelled, (int)StatusCode.DeadlineExceeded });
    }

    [Fact]
    public async Task Cancellation_ByTheClient_ReachesTheBackendAndTheRecordSaysCancelled()
    {
        var id = NewId();
        using var cancel = new CancellationTokenSource();
        using var call = _client.UnaryAsync(new EchoRequest { DelayMs = 5000 }, new Metadata { { "x-call-id", id } }, cancellationToken: cancel.Token);
        // Cancelled once the backend has the call, so that it is a call in flight through the gateway.
        await WaitUntilBackendSees(id);
        cancel.Cancel();

        var error = await Assert.ThrowsAsync<RpcException>(async () => await call);
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);

        var attributes = (await RecordOf(id)).Attributes();
        Assert.True(attributes.GetProperty("gateway.request.duration_ms").GetDouble() < 4000);
        Assert.Equal((int)StatusCode.Cancelled, attributes.GetProperty("rpc.grpc.status_code").GetInt32());
    }

    [Fact]
    public async Task LargeMessages_EightMebibytesEachWay_PassIntact()
    {
        var id = NewId();
        var payload = new byte[8 * 1024 * 1024];
        Random.Shared.NextBytes(payload);
        using var call = _client.UnaryAsync(new EchoRequest { Payload = ByteString.CopyFrom(payload), ReplyBytes = 8 * 1024 * 1024 }, new Metadata { { "x-call-id", id } });

        var reply = await call;

        Assert.Equal(payload.Length, reply.ReceivedBytes);
        Assert.Equal(8 * 1024 * 1024, reply.Payload.Length);
        AssertRpc((await RecordOf(id)).Attributes(), "Unary", StatusCode.OK);
    }

    [Theory]
    [InlineData(StatusCode.OK, null, null)]
    [InlineData(StatusCode.NotFound, "NOT_FOUND", null)]
    [InlineData(StatusCode.Cancelled, "CANCELLED", null)]
    [InlineData(StatusCode.Internal, "INTERNAL", "INTERNAL")]
    public async Task Unary_ClientSpanOfTheUpstreamAttempt_CarriesTheRpcAttributesWithTheDestinationsStatus(StatusCode status, string? clientError, string? serverError)
    {
        var id = NewId();
        var trace = _gateway.Spans.NewTrace(id);
        var headers = new Metadata { { "x-call-id", id }, { "traceparent", TraceSpanCollector.Header(trace) } };
        using var call = _client.UnaryAsync(new EchoRequest { Text = "hi", FailWith = (int)status }, headers);
        if (status == StatusCode.OK)
        {
            await call;
        }
        else
        {
            Assert.Equal(status, (await Assert.ThrowsAsync<RpcException>(async () => await call)).StatusCode);
        }

        var spans = await _gateway.Spans.WaitForAsync(s => s.Count(a => a.TraceId == trace) == 2);
        var client = spans.Single(a => a.TraceId == trace && a.Kind == Gateway.Telemetry.Records.SpanKindCode.Client);
        Assert.Equal("grpc", client.Tag("rpc.system"));
        Assert.Equal("gateway.test.Echo", client.Tag("rpc.service"));
        Assert.Equal("Unary", client.Tag("rpc.method"));
        Assert.Equal((long)status, client.Tag("rpc.grpc.status_code"));
        // The conventions' span status: for the caller any status but OK failed; for the server only
        // UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE and DATA_LOSS did.
        Assert.Equal(clientError, client.Tag("error.type"));
        Assert.Equal(clientError is null ? Gateway.Telemetry.Records.SpanStatusCode.Unset : Gateway.Telemetry.Records.SpanStatusCode.Error, client.Status);
        var server = spans.Single(a => a.TraceId == trace && a.Kind == Gateway.Telemetry.Records.SpanKindCode.Server);
        Assert.Equal((long)status, server.Tag("rpc.grpc.status_code"));
        Assert.Equal(serverError, server.Tag("error.type"));
        Assert.Equal(serverError is null ? Gateway.Telemetry.Records.SpanStatusCode.Unset : Gateway.Telemetry.Records.SpanStatusCode.Error, server.Status);
        var record = (await RecordOf(id)).Attributes();
        Assert.Equal(serverError, record.TryGetProperty("error.type", out var type) ? type.GetString() : null);
    }

    private async Task WaitUntilBackendSees(string id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!_gateway.Server.Calls.All.Any(c => c.CallId == id))
        {
            Assert.True(DateTime.UtcNow < deadline, "the backend never received the call");
            await Task.Delay(10);
        }
    }

    private static string NewId() => Guid.NewGuid().ToString("N")[..12];

    private static void AssertRpc(JsonElement attributes, string method, StatusCode status)
    {
        Assert.Equal("grpc", attributes.GetProperty("rpc.system").GetString());
        Assert.Equal("gateway.test.Echo", attributes.GetProperty("rpc.service").GetString());
        Assert.Equal(method, attributes.GetProperty("rpc.method").GetString());
        Assert.Equal((int)status, attributes.GetProperty("rpc.grpc.status_code").GetInt32());
    }

    private Task<JsonElement> RecordOf(string id) =>
        JsonLines.WaitForAsync(_gateway.Config.JsonLinesPath, r => IsAccessOf(r, id));

    private List<JsonElement> Records(string id) => [.. JsonLines.ReadAll(_gateway.Config.JsonLinesPath).Where(r => IsAccessOf(r, id))];

    private static bool IsAccessOf(JsonElement record, string id) =>
        record.GetProperty("event").GetString() == "gateway.access" && record.HasHeader("http.request.header.x-call-id", id);
}

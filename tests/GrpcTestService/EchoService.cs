using Google.Protobuf;
using Grpc.Core;

namespace GrpcTestService;

/// <summary>The service implementation: every call answers as its request asks and is noted in <see cref="CallLog"/>.</summary>
internal sealed class EchoService(CallLog calls) : Echo.EchoBase
{
    /// <inheritdoc />
    public override async Task<EchoReply> Unary(EchoRequest request, ServerCallContext context)
    {
        await BeginAsync(request, context);
        return Reply(request, 0, request.Payload.Length);
    }

    /// <inheritdoc />
    public override async Task ServerStream(EchoRequest request, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
    {
        await BeginAsync(request, context, failNow: false);
        for (int i = 0; i < request.Count; i++)
        {
            await responseStream.WriteAsync(Reply(request, i, request.Payload.Length), context.CancellationToken);
        }

        Fail(request, context);
    }

    /// <inheritdoc />
    public override async Task<EchoReply> ClientStream(IAsyncStreamReader<EchoRequest> requestStream, ServerCallContext context)
    {
        long received = 0;
        var texts = new List<string>();
        EchoRequest? last = null;
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            received += request.Payload.Length;
            texts.Add(request.Text);
            last = request;
        }

        last ??= new EchoRequest();
        await BeginAsync(last, context);
        return new EchoReply { Text = string.Join(",", texts), ReceivedBytes = received, Payload = Payload(last.ReplyBytes) };
    }

    /// <inheritdoc />
    public override async Task Bidi(IAsyncStreamReader<EchoRequest> requestStream, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
    {
        await BeginAsync(new EchoRequest(), context);
        int index = 0;
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            if (request.FailWith != 0)
            {
                Fail(request, context);
            }

            await responseStream.WriteAsync(Reply(request, index++, request.Payload.Length), context.CancellationToken);
        }
    }

    private static EchoReply Reply(EchoRequest request, int index, long received) =>
        new() { Text = request.Text, Index = index, ReceivedBytes = received, Payload = Payload(request.ReplyBytes) };

    private static ByteString Payload(int bytes) => bytes <= 0 ? ByteString.Empty : ByteString.CopyFrom(new byte[bytes]);

    private async Task BeginAsync(EchoRequest request, ServerCallContext context, bool failNow = true)
    {
        var http = context.GetHttpContext();
        calls.Add(new SeenCall(context.Method, http.Connection.RemotePort, http.Request.Protocol,
            context.RequestHeaders.GetValue("authorization"), context.RequestHeaders.GetValue("x-call-id")));
        await context.WriteResponseHeadersAsync(new Metadata { { EchoMetadata.HeaderName, "sent" } });
        context.ResponseTrailers.Add(EchoMetadata.TrailerName, "done");
        if (request.DelayMs > 0)
        {
            await Task.Delay(request.DelayMs, context.CancellationToken);
        }

        if (failNow)
        {
            Fail(request, context);
        }
    }

    private static void Fail(EchoRequest request, ServerCallContext context)
    {
        if (request.FailWith != 0)
        {
            throw new RpcException(new Status((StatusCode)request.FailWith, "asked to fail"), new Metadata { { "x-fail-reason", "asked" } });
        }
    }
}

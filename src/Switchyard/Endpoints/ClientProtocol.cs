using Switchyard.Protocols.Anthropic;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.OpenAI;

namespace Switchyard.Endpoints;

/// <summary>What the gateway needs from the protocol a client speaks: decode its requests, answer in its shape.</summary>
internal abstract class ClientProtocol
{
    public abstract WireProtocol Wire { get; }
    public abstract ChatRequest Decode(ReadOnlyMemory<byte> body);
    public abstract byte[] EncodeResponse(ChatResponse response);
    public abstract IStreamEncoder CreateStreamEncoder(ChatRequest request, long created);
    public abstract int ErrorStatus(GatewayError error);
    public abstract byte[] EncodeError(GatewayError error, string requestId);

    public static readonly ClientProtocol OpenAI = new OpenAIClient();
    public static readonly ClientProtocol Anthropic = new AnthropicClient();

    private sealed class OpenAIClient : ClientProtocol
    {
        public override WireProtocol Wire => WireProtocol.OpenAI;
        public override ChatRequest Decode(ReadOnlyMemory<byte> body) => OpenAIRequestDecoder.Decode(body);
        public override byte[] EncodeResponse(ChatResponse response) => OpenAIResponseCodec.Encode(response);
        public override IStreamEncoder CreateStreamEncoder(ChatRequest request, long created) => new OpenAIStreamEncoder(request.StreamIncludeUsage, created);
        public override int ErrorStatus(GatewayError error) => OpenAIErrors.Status(error);
        public override byte[] EncodeError(GatewayError error, string requestId) => OpenAIErrors.Encode(error);
    }

    private sealed class AnthropicClient : ClientProtocol
    {
        public override WireProtocol Wire => WireProtocol.Anthropic;
        public override ChatRequest Decode(ReadOnlyMemory<byte> body) => AnthropicRequestDecoder.Decode(body);
        public override byte[] EncodeResponse(ChatResponse response) => AnthropicResponseCodec.Encode(response);
        public override IStreamEncoder CreateStreamEncoder(ChatRequest request, long created) => new AnthropicStreamEncoder();
        public override int ErrorStatus(GatewayError error) => AnthropicErrors.Status(error);
        public override byte[] EncodeError(GatewayError error, string requestId) => AnthropicErrors.Encode(error, requestId);
    }
}

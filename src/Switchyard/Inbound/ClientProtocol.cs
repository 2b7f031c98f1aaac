using Switchyard.Dispatch;
using Switchyard.Protocols.Anthropic;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Gemini;
using Switchyard.Protocols.OpenAI;
using Switchyard.Protocols.Responses;

namespace Switchyard.Inbound;

/// <summary>What the gateway needs from the protocol a client speaks: read its requests, answer in its shape.</summary>
internal abstract class ClientProtocol
{
    public abstract WireProtocol Wire { get; }

    /// <summary>The one cheap pass over the body: valid JSON, required fields, model and stream flag.</summary>
    public virtual RequestSniff Sniff(ReadOnlySpan<byte> body, string? pathModel, bool pathStream, InputLimits limits) => RequestSniff.Sniff(body, limits);

    /// <summary>
    /// The canonical request. Decoders name the offending field in a <see cref="ProtocolException"/>; a value of a
    /// type they did not expect (e.g. an array where a string belongs) can still surface as the reader's own
    /// exception — that is bad input too, never a 500.
    /// </summary>
    public ChatRequest Decode(ReadOnlyMemory<byte> body, in RequestSniff sniff)
    {
        try
        {
            return DecodeCore(body, sniff);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or System.Text.Json.JsonException or KeyNotFoundException)
        {
            throw new ProtocolException($"The request body could not be read: a field has a value of the wrong type or form ({ex.Message}).");
        }
    }

    protected abstract ChatRequest DecodeCore(ReadOnlyMemory<byte> body, in RequestSniff sniff);
    /// <summary>A token-count body as the chat body it counts (Gemini's countTokens may wrap a generateContentRequest).</summary>
    public virtual byte[] UnwrapCountBody(byte[] body) => body;

    public abstract byte[] EncodeResponse(ChatResponse response, ChatRequest request, HttpContext http);
    public abstract IStreamEncoder CreateStreamEncoder(ChatRequest request, long created, HttpRequest http);
    public virtual string StreamContentType(HttpRequest http) => "text/event-stream; charset=utf-8";
    public abstract int ErrorStatus(GatewayError error);
    public abstract byte[] EncodeError(GatewayError error, string requestId);

    /// <summary>What wants the final answer when the byte path forwarded it untouched (the Responses store); null for nothing.</summary>
    public virtual Action<byte[]>? OnForwardedAnswer(HttpContext http) => null;

    public static readonly ClientProtocol OpenAI = new OpenAIClient();
    public static readonly ClientProtocol Anthropic = new AnthropicClient();
    public static readonly ClientProtocol Gemini = new GeminiClient();
    public static readonly ClientProtocol Responses = new ResponsesClient();

    private sealed class OpenAIClient : ClientProtocol
    {
        public override WireProtocol Wire => WireProtocol.OpenAI;
        protected override ChatRequest DecodeCore(ReadOnlyMemory<byte> body, in RequestSniff sniff) => OpenAIRequestDecoder.Decode(body);
        public override byte[] EncodeResponse(ChatResponse response, ChatRequest request, HttpContext http) => OpenAIResponseCodec.Encode(response);
        public override IStreamEncoder CreateStreamEncoder(ChatRequest request, long created, HttpRequest http) => new OpenAIStreamEncoder(request.StreamIncludeUsage, created);
        public override int ErrorStatus(GatewayError error) => OpenAIErrors.Status(error);
        public override byte[] EncodeError(GatewayError error, string requestId) => OpenAIErrors.Encode(error);
    }

    private sealed class AnthropicClient : ClientProtocol
    {
        public override WireProtocol Wire => WireProtocol.Anthropic;
        protected override ChatRequest DecodeCore(ReadOnlyMemory<byte> body, in RequestSniff sniff) => AnthropicRequestDecoder.Decode(body);
        public override byte[] EncodeResponse(ChatResponse response, ChatRequest request, HttpContext http) => AnthropicResponseCodec.Encode(response);
        public override IStreamEncoder CreateStreamEncoder(ChatRequest request, long created, HttpRequest http) => new AnthropicStreamEncoder();
        public override int ErrorStatus(GatewayError error) => AnthropicErrors.Status(error);
        public override byte[] EncodeError(GatewayError error, string requestId) => AnthropicErrors.Encode(error, requestId);
    }

    /// <summary>Gemini: the model and the stream flag come from the URL; streams are SSE with alt=sse, else one JSON array.</summary>
    private sealed class GeminiClient : ClientProtocol
    {
        public override WireProtocol Wire => WireProtocol.Gemini;
        public override RequestSniff Sniff(ReadOnlySpan<byte> body, string? pathModel, bool pathStream, InputLimits limits) => RequestSniff.SniffGemini(body, pathModel ?? "", pathStream, limits);

        /// <summary>countTokens takes either <c>contents</c> or a whole <c>generateContentRequest</c>.</summary>
        public override byte[] UnwrapCountBody(byte[] body)
        {
            try
            {
                using var doc = System.Text.Json.JsonDocument.Parse(body);
                return doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                    && (doc.RootElement.TryGetProperty("generateContentRequest", out var inner) || doc.RootElement.TryGetProperty("generate_content_request", out inner))
                    ? System.Text.Encoding.UTF8.GetBytes(inner.GetRawText())
                    : body;
            }
            catch (System.Text.Json.JsonException)
            {
                return body; // the sniff names what is wrong with it
            }
        }
        protected override ChatRequest DecodeCore(ReadOnlyMemory<byte> body, in RequestSniff sniff) => GeminiRequestDecoder.Decode(body, sniff.Model, sniff.Stream);
        public override byte[] EncodeResponse(ChatResponse response, ChatRequest request, HttpContext http) => GeminiResponseCodec.Encode(response);
        public override IStreamEncoder CreateStreamEncoder(ChatRequest request, long created, HttpRequest http) => new GeminiStreamEncoder(IsSse(http));
        public override string StreamContentType(HttpRequest http) => IsSse(http) ? "text/event-stream" : "application/json; charset=UTF-8";
        public override int ErrorStatus(GatewayError error) => GeminiErrors.StatusOf(error).Status;
        public override byte[] EncodeError(GatewayError error, string requestId) => GeminiErrors.Encode(error);

        public static bool IsSse(HttpRequest http) => http.Query["alt"] == "sse";
    }

    /// <summary>
    /// OpenAI's Responses API: bodies carry <c>input</c>; answers are <c>response</c> objects with the id the exchange
    /// minted (<see cref="Switchyard.Responses.ResponsesExchange"/>), which also keeps what a later
    /// <c>previous_response_id</c> needs; errors have OpenAI's shape.
    /// </summary>
    private sealed class ResponsesClient : ClientProtocol
    {
        public override WireProtocol Wire => WireProtocol.Responses;
        public override RequestSniff Sniff(ReadOnlySpan<byte> body, string? pathModel, bool pathStream, InputLimits limits) => RequestSniff.Sniff(body, limits, responses: true);
        protected override ChatRequest DecodeCore(ReadOnlyMemory<byte> body, in RequestSniff sniff) => ResponsesRequestDecoder.Decode(body);

        public override byte[] EncodeResponse(ChatResponse response, ChatRequest request, HttpContext http)
        {
            var exchange = Switchyard.Responses.ResponsesExchange.Of(http);
            var body = ResponsesResponseCodec.Encode(response, new ResponsesEcho(exchange.Id, exchange.CreatedAt, request, exchange.PreviousResponseId));
            exchange.Completed(body);
            return body;
        }

        public override IStreamEncoder CreateStreamEncoder(ChatRequest request, long created, HttpRequest http)
        {
            var exchange = Switchyard.Responses.ResponsesExchange.Of(http.HttpContext);
            return new ResponsesStreamEncoder(new ResponsesEcho(exchange.Id, exchange.CreatedAt, request, exchange.PreviousResponseId)) { OnCompleted = exchange.Completed };
        }

        public override int ErrorStatus(GatewayError error) => OpenAIErrors.Status(error);
        public override byte[] EncodeError(GatewayError error, string requestId) => OpenAIErrors.Encode(error);

        /// <summary>A Responses upstream's own answer is kept under its own id (the one the client saw).</summary>
        public override Action<byte[]>? OnForwardedAnswer(HttpContext http) => Switchyard.Responses.ResponsesExchange.Of(http).CompletedUpstream;
    }
}

using System.Net.Http.Headers;
using Switchyard.Config;
using Switchyard.Protocols.Anthropic;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Gemini;
using Switchyard.Protocols.OpenAI;
using Switchyard.Protocols.Responses;

namespace Switchyard.Providers;

/// <summary>How to talk to one upstream protocol over HTTP: URL, credentials, body codecs, error shape.</summary>
internal abstract class UpstreamCodec
{
    public abstract WireProtocol Wire { get; }
    /// <param name="sse">Gemini only: stream as SSE (<c>alt=sse</c>) rather than one JSON array.</param>
    public abstract Uri ChatUrl(ProviderConfig provider, string model, bool stream, bool sse);
    public abstract byte[] EncodeRequest(ChatRequest request, EncodeOptions options);
    public abstract ChatResponse DecodeResponse(ReadOnlyMemory<byte> body);
    public abstract IStreamDecoder CreateStreamDecoder();
    public abstract GatewayError DecodeError(int status, ReadOnlySpan<byte> body, TimeSpan? retryAfter);
    protected abstract void ApplyDefaultAuth(HttpRequestMessage message, string key);

    public void ApplyAuth(HttpRequestMessage message, ProviderConfig provider, string key)
    {
        foreach (var (name, value) in provider.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }
        if (key.Length == 0)
        {
            return; // a keyless local server (vllm, ollama presets)
        }
        switch (provider.Auth)
        {
            case UpstreamAuthScheme.Bearer:
                message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                break;
            case UpstreamAuthScheme.ApiKeyHeader:
                message.Headers.TryAddWithoutValidation("x-api-key", key);
                break;
            case UpstreamAuthScheme.CustomHeader:
                message.Headers.TryAddWithoutValidation(provider.AuthHeader!, provider.AuthFormat.Replace("{key}", key, StringComparison.Ordinal));
                break;
            default:
                ApplyDefaultAuth(message, key);
                break;
        }
    }

    /// <summary>The wire protocol a provider kind speaks; null for the in-process mock, which answers in every protocol.</summary>
    public static WireProtocol? WireOf(ProviderKind kind) => kind == ProviderKind.Mock ? null : For(kind).Wire;

    /// <summary>Whether a stream is asked for as SSE (every translation reads SSE; Gemini also has a JSON-array stream).</summary>
    public virtual bool StreamsAsSse(bool passthrough, HttpRequest client) => true;

    /// <summary>Headers the vendor's API wants beyond credentials (Anthropic's version and betas).</summary>
    /// <param name="clientWire">The client's protocol: a same-family client's own version and betas pass through.</param>
    public virtual void ApplyVendorHeaders(HttpRequestMessage message, ProviderConfig provider, WireProtocol clientWire, IHeaderDictionary clientHeaders)
    {
    }

    public static UpstreamCodec For(ProviderKind kind) => kind switch
    {
        ProviderKind.OpenAI => OpenAI,
        ProviderKind.AzureOpenAI => AzureOpenAI,
        ProviderKind.OpenAIResponses => Responses,
        ProviderKind.Anthropic => Anthropic,
        ProviderKind.Gemini => Gemini,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not an HTTP provider"),
    };

    public static readonly UpstreamCodec OpenAI = new OpenAICodec();
    public static readonly UpstreamCodec AzureOpenAI = new AzureOpenAICodec();
    public static readonly UpstreamCodec Anthropic = new AnthropicCodec();
    public static readonly UpstreamCodec Gemini = new GeminiCodec();
    public static readonly UpstreamCodec Responses = new ResponsesCodec();

    private class OpenAICodec : UpstreamCodec
    {
        public override WireProtocol Wire => WireProtocol.OpenAI;
        public override Uri ChatUrl(ProviderConfig provider, string model, bool stream, bool sse) => new(provider.BaseUrl, "chat/completions");
        public override byte[] EncodeRequest(ChatRequest request, EncodeOptions options) => OpenAIRequestEncoder.Encode(request, options);
        public override ChatResponse DecodeResponse(ReadOnlyMemory<byte> body) => OpenAIResponseCodec.Decode(body);
        public override IStreamDecoder CreateStreamDecoder() => new OpenAIStreamDecoder();
        public override GatewayError DecodeError(int status, ReadOnlySpan<byte> body, TimeSpan? retryAfter) => OpenAIErrors.Decode(status, body, retryAfter);
        protected override void ApplyDefaultAuth(HttpRequestMessage message, string key) =>
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
    }

    /// <summary>Azure OpenAI: OpenAI's wire format at a deployment URL, with an <c>api-key</c> header.</summary>
    private sealed class AzureOpenAICodec : OpenAICodec
    {
        public override Uri ChatUrl(ProviderConfig provider, string model, bool stream, bool sse)
        {
            var deployment = provider.Deployments.TryGetValue(model, out var d) ? d : model;
            return new Uri(provider.BaseUrl, $"openai/deployments/{Uri.EscapeDataString(deployment)}/chat/completions?api-version={Uri.EscapeDataString(provider.ApiVersion)}");
        }

        protected override void ApplyDefaultAuth(HttpRequestMessage message, string key) =>
            message.Headers.TryAddWithoutValidation("api-key", key);
    }

    /// <summary>OpenAI's Responses API (<c>{base}/responses</c>; OpenAI, Azure OpenAI's v1 API, compatible servers).</summary>
    private sealed class ResponsesCodec : UpstreamCodec
    {
        public override WireProtocol Wire => WireProtocol.Responses;
        public override Uri ChatUrl(ProviderConfig provider, string model, bool stream, bool sse) => new(provider.BaseUrl, "responses");
        public override byte[] EncodeRequest(ChatRequest request, EncodeOptions options) => ResponsesRequestEncoder.Encode(request, options);
        public override ChatResponse DecodeResponse(ReadOnlyMemory<byte> body) => ResponsesResponseCodec.Decode(body);
        public override IStreamDecoder CreateStreamDecoder() => new ResponsesStreamDecoder();
        public override GatewayError DecodeError(int status, ReadOnlySpan<byte> body, TimeSpan? retryAfter) => ResponsesResponseCodec.DecodeError(status, body, retryAfter);
        protected override void ApplyDefaultAuth(HttpRequestMessage message, string key) =>
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
    }

    private sealed class AnthropicCodec : UpstreamCodec
    {
        public override WireProtocol Wire => WireProtocol.Anthropic;
        public override Uri ChatUrl(ProviderConfig provider, string model, bool stream, bool sse) => new(provider.BaseUrl, "v1/messages");
        public override byte[] EncodeRequest(ChatRequest request, EncodeOptions options) => AnthropicRequestEncoder.Encode(request, options);
        public override ChatResponse DecodeResponse(ReadOnlyMemory<byte> body) => AnthropicResponseCodec.Decode(body);
        public override IStreamDecoder CreateStreamDecoder() => new AnthropicStreamDecoder();
        public override GatewayError DecodeError(int status, ReadOnlySpan<byte> body, TimeSpan? retryAfter) => AnthropicErrors.Decode(status, body, retryAfter);
        protected override void ApplyDefaultAuth(HttpRequestMessage message, string key) =>
            message.Headers.TryAddWithoutValidation("x-api-key", key);

        public override void ApplyVendorHeaders(HttpRequestMessage message, ProviderConfig provider, WireProtocol clientWire, IHeaderDictionary clientHeaders)
        {
            var sameFamily = clientWire == WireProtocol.Anthropic;
            message.Headers.TryAddWithoutValidation("anthropic-version", sameFamily && clientHeaders["anthropic-version"] is [{ Length: > 0 } v] ? v : provider.AnthropicVersion);
            if (sameFamily && clientHeaders["anthropic-beta"].Count > 0)
            {
                message.Headers.TryAddWithoutValidation("anthropic-beta", clientHeaders["anthropic-beta"].ToArray());
            }
        }
    }

    /// <summary>Gemini Developer API: the model is in the path; the key goes in a header, never the URL (MAPPING §1).</summary>
    private sealed class GeminiCodec : UpstreamCodec
    {
        public override WireProtocol Wire => WireProtocol.Gemini;

        public override Uri ChatUrl(ProviderConfig provider, string model, bool stream, bool sse)
        {
            var name = model.StartsWith("models/", StringComparison.Ordinal) || model.StartsWith("tunedModels/", StringComparison.Ordinal) ? model : "models/" + model;
            var action = !stream ? ":generateContent" : sse ? ":streamGenerateContent?alt=sse" : ":streamGenerateContent";
            return new Uri(provider.BaseUrl, "v1beta/" + Uri.EscapeDataString(name).Replace("%2F", "/", StringComparison.Ordinal) + action);
        }

        /// <summary>A Gemini client that asked for the JSON-array stream gets it byte for byte on the byte path.</summary>
        public override bool StreamsAsSse(bool passthrough, HttpRequest client) => !passthrough || client.Query["alt"] == "sse";

        public override byte[] EncodeRequest(ChatRequest request, EncodeOptions options) => GeminiRequestEncoder.Encode(request, options);
        public override ChatResponse DecodeResponse(ReadOnlyMemory<byte> body) => GeminiResponseCodec.Decode(body);
        public override IStreamDecoder CreateStreamDecoder() => new GeminiStreamDecoder();
        public override GatewayError DecodeError(int status, ReadOnlySpan<byte> body, TimeSpan? retryAfter) => GeminiErrors.Decode(status, body, retryAfter);
        protected override void ApplyDefaultAuth(HttpRequestMessage message, string key) =>
            message.Headers.TryAddWithoutValidation("x-goog-api-key", key);
    }
}

using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Caching.Memory;
using Switchyard.Config;
using Switchyard.Dispatch;
using Switchyard.Inbound;
using Switchyard.Protocols.Anthropic;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Gemini;
using Switchyard.Providers;
using Switchyard.Tenancy;

namespace Switchyard.Counting;

/// <summary>
/// Anthropic <c>count_tokens</c> and Gemini <c>countTokens</c>: asked of the routed upstream's own counting endpoint
/// when it has one (Anthropic, Gemini), estimated locally otherwise or when that fails — never by spending a
/// completion. Identical requests are answered from a short-lived cache (Claude Code counts many times a minute).
/// </summary>
internal sealed partial class TokenCountHandler(InboundPrologue prologue, UpstreamHttp http, IMemoryCache cache, ILogger<TokenCountHandler> logger)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
    private static readonly HashSet<string> AnthropicCountFields = new(StringComparer.Ordinal) { "model", "messages", "system", "tools", "tool_choice", "thinking", "mcp_servers", "context_management" };

    public async Task HandleAsync(HttpContext ctx, ClientProtocol client, string? pathModel = null)
    {
        if (await prologue.RunAsync(ctx, client, pathModel, counting: true) is not { } inbound)
        {
            return;
        }
        var (snapshot, requestId, _, _, body, sniff, route, _, _) = inbound;
        ChatRequest request;
        try
        {
            request = client.Decode(body, sniff);
        }
        catch (ProtocolException pe)
        {
            await ClientWriter.WriteErrorAsync(ctx, client, pe.Error, requestId, snapshot.Secrets);
            return;
        }

        var key = CacheKey(client, request.Model, body);
        if (!cache.TryGetValue(key, out Counted counted))
        {
            counted = await CountAsync(snapshot, route, request, ctx.RequestAborted);
            cache.Set(key, counted, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = CacheFor, Size = 1 });
        }
        else
        {
            counted = counted with { Source = counted.Source + "; cached" };
        }
        ctx.Response.Headers["x-switchyard-token-count"] = counted.Source;
        ctx.Response.Headers["x-switchyard-provider"] = ClientWriter.HeaderSafe(counted.Provider);
        await ModelEndpoints.WriteJsonAsync(ctx, w =>
        {
            w.WriteStartObject();
            if (client.Wire == WireProtocol.Responses)
            {
                w.WriteString("object", "response.input_tokens");
            }
            w.WriteNumber(client.Wire == WireProtocol.Gemini ? "totalTokens" : "input_tokens", counted.Tokens);
            w.WriteEndObject();
        });
    }

    private readonly record struct Counted(int Tokens, string Source, string Provider);

    private async Task<Counted> CountAsync(GatewaySnapshot snapshot, Routing.ResolvedRoute route, ChatRequest request, CancellationToken ct)
    {
        foreach (var target in route.Route.Targets)
        {
            var provider = snapshot.Config.Providers[target.Provider];
            var model = route.UpstreamModel(target, provider);
            if (provider.Kind is ProviderKind.OpenAI or ProviderKind.AzureOpenAI or ProviderKind.OpenAIResponses && OpenAITokenCounter.TryCount(request, model) is { } exact)
            {
                return new Counted(exact.Tokens, "tokenizer " + exact.Encoding, provider.Name);
            }
            if (provider.Kind is not (ProviderKind.Anthropic or ProviderKind.Gemini) || provider.Keys.FirstOrDefault(k => k.Enabled) is not { } key)
            {
                return new Counted(TokenEstimator.Count(request), "estimate", provider.Name);
            }
            try
            {
                var tokens = provider.Kind == ProviderKind.Anthropic
                    ? await CountWithAnthropicAsync(provider, key, model, request, ct)
                    : await CountWithGeminiAsync(provider, key, model, request, ct);
                if (tokens is { } n)
                {
                    return new Counted(n, "upstream", provider.Name);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or JsonException or TaskCanceledException or ProtocolException)
            {
                LogCountFailed(logger, provider.Name, ex.Message);
            }
        }
        return new Counted(TokenEstimator.Count(request), "estimate", route.Route.Targets[0].Provider);
    }

    private async Task<int?> CountWithAnthropicAsync(ProviderConfig provider, UpstreamKey key, string model, ChatRequest request, CancellationToken ct)
    {
        // count_tokens takes the create body without generation settings: anything else is a 400 there.
        var full = JsonNode.Parse(AnthropicRequestEncoder.Encode(request, new EncodeOptions(model)))!.AsObject();
        foreach (var name in full.Select(p => p.Key).Where(k => !AnthropicCountFields.Contains(k)).ToList())
        {
            full.Remove(name);
        }
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(provider.BaseUrl, "v1/messages/count_tokens")) { Content = Json(full) };
        UpstreamCodec.Anthropic.ApplyAuth(message, provider, key.Secret);
        message.Headers.TryAddWithoutValidation("anthropic-version", provider.AnthropicVersion);
        var json = await SendAsync(provider, message, ct);
        return json?["input_tokens"]?.GetValue<int>();
    }

    private async Task<int?> CountWithGeminiAsync(ProviderConfig provider, UpstreamKey key, string model, ChatRequest request, CancellationToken ct)
    {
        var name = model.StartsWith("models/", StringComparison.Ordinal) ? model : "models/" + model;
        var inner = JsonNode.Parse(GeminiRequestEncoder.Encode(request, new EncodeOptions(model)))!.AsObject();
        inner["model"] = name;
        var wrapped = new JsonObject { ["generateContentRequest"] = inner };
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(provider.BaseUrl, $"v1beta/{name}:countTokens")) { Content = Json(wrapped) };
        UpstreamCodec.Gemini.ApplyAuth(message, provider, key.Secret);
        var json = await SendAsync(provider, message, ct);
        return json?["totalTokens"]?.GetValue<int>();
    }

    private async Task<JsonNode?> SendAsync(ProviderConfig provider, HttpRequestMessage message, CancellationToken ct)
    {
        message.Options.Set(UpstreamHttp.ConnectTimeoutKey, provider.ConnectTimeout);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(provider.FirstByteTimeout);
        using var response = await http.Client.SendAsync(message, timeout.Token);
        if (!response.IsSuccessStatusCode)
        {
            LogCountFailed(logger, provider.Name, $"HTTP {(int)response.StatusCode}");
            return null;
        }
        return JsonNode.Parse(await response.Content.ReadAsByteArrayAsync(timeout.Token));
    }

    private static ByteArrayContent Json(JsonNode node)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(node, CountJson.Default.JsonNode));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static string CacheKey(ClientProtocol client, string model, byte[] body) =>
        string.Create(CultureInfo.InvariantCulture, $"count:{client.Wire}:{model}:{Convert.ToHexString(SHA256.HashData(body))}");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Token count from provider {Provider} failed ({Reason}); using the local estimate")]
    private static partial void LogCountFailed(ILogger logger, string provider, string reason);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(JsonNode))]
internal sealed partial class CountJson : System.Text.Json.Serialization.JsonSerializerContext;

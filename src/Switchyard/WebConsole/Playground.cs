using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Switchyard.Ui.Backend;

namespace Switchyard.WebConsole;

/// <summary>
/// The console's playground: one chat sent to the gateway's own HTTP endpoint in the client protocol asked for — the
/// whole pipeline (auth, limits, routing, translation, the log) runs as for any client — and its answer read back as it
/// arrives: the status and routing headers, the text of each event, and the raw wire.
/// </summary>
internal sealed class Playground(IServer server) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };

    public void Dispose() => _http.Dispose();

    public async IAsyncEnumerable<PlaygroundEvent> RunAsync(PlaygroundRequest ask, [EnumeratorCancellation] CancellationToken ct)
    {
        if (Self() is not { } self)
        {
            yield return new PlaygroundEvent(PlaygroundEventKind.Error, "The gateway has no HTTP address to call.");
            yield break;
        }
        if (string.IsNullOrWhiteSpace(ask.Model))
        {
            yield return new PlaygroundEvent(PlaygroundEventKind.Error, "Name a model (a route's name, alias or glob match).");
            yield break;
        }
        using var request = Build(self, ask);
        HttpResponseMessage response;
        string? failure = null;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            response = null!;
            failure = ex.Message;
        }
        if (failure is not null)
        {
            yield return new PlaygroundEvent(PlaygroundEventKind.Error, failure);
            yield break;
        }
        using (response)
        {
            var headers = response.Headers.Concat(response.Content.Headers)
                .Where(h => h.Key.StartsWith("x-switchyard-", StringComparison.OrdinalIgnoreCase) || h.Key.Equals("content-type", StringComparison.OrdinalIgnoreCase))
                .Select(h => (h.Key.ToLowerInvariant(), string.Join(", ", h.Value))).OrderBy(h => h.Item1, StringComparer.Ordinal).ToList();
            yield return new PlaygroundEvent(PlaygroundEventKind.Head, $"{(int)response.StatusCode} {response.ReasonPhrase}", headers);
            var isStream = response.Content.Headers.ContentType?.MediaType == "text/event-stream";
            if (!response.IsSuccessStatusCode || !isStream)
            {
                var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                yield return new PlaygroundEvent(PlaygroundEventKind.Raw, body);
                yield return response.IsSuccessStatusCode
                    ? new PlaygroundEvent(PlaygroundEventKind.Text, TextOf(ask.Protocol, body, streamEvent: false))
                    : new PlaygroundEvent(PlaygroundEventKind.Error, body);
                yield break;
            }
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false), Encoding.UTF8);
            while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }
                yield return new PlaygroundEvent(PlaygroundEventKind.Raw, line + "\n");
                if (line.StartsWith("data:", StringComparison.Ordinal) && TextOf(ask.Protocol, line[5..].Trim(), streamEvent: true) is { Length: > 0 } text)
                {
                    yield return new PlaygroundEvent(PlaygroundEventKind.Text, text);
                }
            }
        }
    }

    /// <summary>The gateway's own address, loopback when it listens on every interface.</summary>
    private Uri? Self()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var address = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.Ordinal)) ?? addresses.FirstOrDefault();
        if (address is null)
        {
            return null;
        }
        var uri = new UriBuilder(address.Replace("://+", "://127.0.0.1", StringComparison.Ordinal).Replace("://*", "://127.0.0.1", StringComparison.Ordinal));
        if (uri.Host is "0.0.0.0" or "[::]" or "::")
        {
            uri.Host = "127.0.0.1";
        }
        return uri.Uri;
    }

    private static HttpRequestMessage Build(Uri self, PlaygroundRequest ask)
    {
        var messages = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = ask.Prompt });
        var (path, body) = ask.Protocol switch
        {
            "anthropic" => ("/v1/messages", new JsonObject { ["model"] = ask.Model, ["max_tokens"] = 1024, ["messages"] = messages, ["stream"] = ask.Stream }),
            "responses" => ("/v1/responses", new JsonObject { ["model"] = ask.Model, ["input"] = ask.Prompt, ["stream"] = ask.Stream, ["store"] = false }),
            "gemini" => ($"/v1beta/models/{Uri.EscapeDataString(ask.Model)}:{(ask.Stream ? "streamGenerateContent?alt=sse" : "generateContent")}",
                new JsonObject { ["contents"] = new JsonArray(new JsonObject { ["role"] = "user", ["parts"] = new JsonArray(new JsonObject { ["text"] = ask.Prompt }) }) }),
            _ => ("/v1/chat/completions", new JsonObject { ["model"] = ask.Model, ["messages"] = messages, ["stream"] = ask.Stream }),
        };
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(self, path)) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Add("x-switchyard-client", "console-playground");
        if (!string.IsNullOrWhiteSpace(ask.Key))
        {
            var key = ask.Key.Trim();
            switch (ask.Protocol)
            {
                case "anthropic":
                    request.Headers.Add("x-api-key", key);
                    break;
                case "gemini":
                    request.Headers.Add("x-goog-api-key", key);
                    break;
                default:
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                    break;
            }
        }
        return request;
    }

    /// <summary>The text of an answer or of one stream event, in each protocol's shape; empty when it carries none.</summary>
    internal static string TextOf(string protocol, string json, bool streamEvent)
    {
        if (json.Length == 0 || json[0] != '{')
        {
            return "";
        }
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var text = new StringBuilder();
            switch (protocol)
            {
                case "anthropic":
                    if (streamEvent)
                    {
                        if (Str(root, "type") == "content_block_delta" && root.TryGetProperty("delta", out var delta) && Str(delta, "type") == "text_delta")
                        {
                            text.Append(Str(delta, "text"));
                        }
                    }
                    else if (root.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var block in content.EnumerateArray().Where(b => Str(b, "type") == "text"))
                        {
                            text.Append(Str(block, "text"));
                        }
                    }
                    break;
                case "responses":
                    if (streamEvent)
                    {
                        if (Str(root, "type") == "response.output_text.delta")
                        {
                            text.Append(Str(root, "delta"));
                        }
                    }
                    else if (root.TryGetProperty("output", out var output) && output.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var item in output.EnumerateArray().Where(i => Str(i, "type") == "message"))
                        {
                            foreach (var part in item.GetProperty("content").EnumerateArray().Where(p => Str(p, "type") == "output_text"))
                            {
                                text.Append(Str(part, "text"));
                            }
                        }
                    }
                    break;
                case "gemini":
                    if (root.TryGetProperty("candidates", out var candidates) && candidates.ValueKind == JsonValueKind.Array && candidates.GetArrayLength() > 0
                        && candidates[0].TryGetProperty("content", out var gc) && gc.TryGetProperty("parts", out var parts))
                    {
                        foreach (var part in parts.EnumerateArray().Where(p => !(p.TryGetProperty("thought", out var t) && t.ValueKind == JsonValueKind.True)))
                        {
                            text.Append(Str(part, "text"));
                        }
                    }
                    break;
                default:
                    if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0
                        && choices[0].TryGetProperty(streamEvent ? "delta" : "message", out var message))
                    {
                        text.Append(Str(message, "content"));
                    }
                    break;
            }
            return text.ToString();
        }
        catch (JsonException)
        {
            return "";
        }
    }

    private static string? Str(JsonElement e, string name) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

using System.Net.Http.Headers;
using Switchyard.Config;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Providers;

/// <summary>What one test call found: the status, how long it took, the answer or the error, and the rate-limit headers.</summary>
internal sealed record ConnectionTestResult(bool Ok, int? Status, double LatencyMs, string Model, string Key, string? Answer, string? Error,
    IReadOnlyDictionary<string, string> RateLimits);

/// <summary>
/// The connection test of <c>POST /admin/v1/providers/{name}/test</c>: one minimal real call (a one-word prompt, a
/// small output limit, no stream) with one key, outside the attempt loop — no retry, no failover, and the key's
/// state and statistics are left as they are (a probe, not traffic).
/// </summary>
internal sealed class ConnectionTest(UpstreamHttp http, TimeProvider time)
{
    private const int MaxTokens = 16;
    private const int MaxBody = 1024 * 1024;

    public async Task<ConnectionTestResult> RunAsync(ProviderConfig provider, UpstreamKey? key, string model, string[] secrets, CancellationToken ct)
    {
        var masked = key is null || key.Secret.Length == 0 ? "(none)" : key.Masked;
        if (provider.Kind == ProviderKind.Mock)
        {
            return new(true, 200, 0, model, masked, "The mock provider answers in-process: nothing to reach.", null, new Dictionary<string, string>());
        }
        var codec = UpstreamCodec.For(provider.Kind);
        var request = new ChatRequest { Model = model, MaxTokens = MaxTokens };
        var ask = new ChatMessage(ChatRole.User);
        ask.Content.Add(new TextPart("Say OK."));
        request.Messages.Add(ask);
        using var message = new HttpRequestMessage(HttpMethod.Post, codec.ChatUrl(provider, model, stream: false, sse: false))
        {
            Content = new ByteArrayContent(codec.EncodeRequest(request, Dispatch.HttpAttempt.OptionsFor(provider, model))),
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        message.Options.Set(UpstreamHttp.ConnectTimeoutKey, provider.ConnectTimeout);
        codec.ApplyAuth(message, provider, key?.Secret ?? "");
        codec.ApplyVendorHeaders(message, provider, codec.Wire, new HeaderDictionary());
        string[] hidden = key is { Secret.Length: >= 4 } ? [key.Secret, .. secrets] : secrets;

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(provider.FirstByteTimeout);
        var started = time.GetTimestamp();
        try
        {
            using var response = await http.Client.SendAsync(message, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
            var latency = time.GetElapsedTime(started).TotalMilliseconds;
            var body = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
            var limits = RateLimitsOf(response);
            var status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                var error = codec.DecodeError(status, body.AsSpan(0, Math.Min(body.Length, MaxBody)), response.Headers.RetryAfter?.Delta);
                return new(false, status, Math.Round(latency, 1), model, masked, null, Inbound.ClientWriter.Redact(error.Message, hidden), limits);
            }
            try
            {
                var answer = string.Concat(codec.DecodeResponse(body).Content.OfType<TextPart>().Select(t => t.Text));
                return new(true, status, Math.Round(latency, 1), model, masked, Inbound.ClientWriter.Redact(answer, hidden), null, limits);
            }
            catch (ProtocolException pe)
            {
                return new(false, status, Math.Round(latency, 1), model, masked, null, "The upstream answered, but not in its protocol: " + pe.Error.Message, limits);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            var why = ex is OperationCanceledException ? $"no answer within first_byte_timeout ({provider.FirstByteTimeout.TotalSeconds:0.#} s)" : ex.Message;
            return new(false, null, Math.Round(time.GetElapsedTime(started).TotalMilliseconds, 1), model, masked, null,
                Inbound.ClientWriter.Redact($"Cannot reach {provider.BaseUrl}: {why}", hidden), new Dictionary<string, string>());
        }
    }

    /// <summary>The rate-limit headers as the upstream sent them (OpenAI's, Anthropic's, retry-after).</summary>
    private static Dictionary<string, string> RateLimitsOf(HttpResponseMessage response) =>
        response.Headers.Where(h => h.Key.Contains("ratelimit", StringComparison.OrdinalIgnoreCase) || h.Key.Equals("retry-after", StringComparison.OrdinalIgnoreCase))
            .OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(", ", h.Value));
}

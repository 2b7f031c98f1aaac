using System.Collections.Frozen;
using Switchyard.Config;

namespace Switchyard.Dispatch;

/// <summary>One try of one upstream (with one key, when the provider has keys): send, classify, relay.</summary>
internal interface IUpstreamAttempt
{
    /// <param name="key">The key to use; null for a provider without keys (the in-process mock).</param>
    Task<AttemptResult> RunAsync(ProxyContext ctx, ProviderConfig provider, UpstreamKey? key, string upstreamModel, RequestPatch? patch);
}

/// <summary>The attempt for each provider kind, looked up by kind (HTTP for every vendor, in-process for the mock).</summary>
internal sealed class UpstreamAttempts(HttpAttempt http, MockAttempt mock)
{
    private readonly FrozenDictionary<ProviderKind, IUpstreamAttempt> _byKind = new Dictionary<ProviderKind, IUpstreamAttempt>
    {
        [ProviderKind.OpenAI] = http,
        [ProviderKind.AzureOpenAI] = http,
        [ProviderKind.OpenAIResponses] = http,
        [ProviderKind.Anthropic] = http,
        [ProviderKind.Gemini] = http,
        [ProviderKind.Mock] = mock,
    }.ToFrozenDictionary();

    public IUpstreamAttempt For(ProviderKind kind) => _byKind[kind];
}

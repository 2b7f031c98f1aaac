namespace Switchyard.Protocols.Canonical;

/// <summary>
/// Token usage. <see cref="InputTokens"/> counts the whole prompt including cached tokens (OpenAI's meaning);
/// <see cref="OutputTokens"/> includes reasoning tokens. MAPPING §9.
/// </summary>
public sealed record Usage
{
    public int InputTokens { get; init; }
    public int OutputTokens { get; init; }
    public int CacheReadTokens { get; init; }
    public int CacheWriteTokens { get; init; }
    public int ReasoningTokens { get; init; }
    public int TotalTokens => InputTokens + OutputTokens;
    /// <summary>Anthropic's input_tokens: the prompt without cache reads and writes.</summary>
    public int UncachedInputTokens => Math.Max(0, InputTokens - CacheReadTokens - CacheWriteTokens);
}

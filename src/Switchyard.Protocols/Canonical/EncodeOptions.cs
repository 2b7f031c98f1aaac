namespace Switchyard.Protocols.Canonical;

/// <summary>Per-attempt choices an upstream encoder needs besides the request itself.</summary>
public sealed record EncodeOptions(string Model)
{
    /// <summary>OpenAI: the field carrying the output limit (<c>max_completion_tokens</c> or <c>max_tokens</c>).</summary>
    public string MaxTokensField { get; init; } = "max_completion_tokens";
    /// <summary>Upper bound on the output limit sent upstream (the model's real maximum).</summary>
    public int? MaxOutputTokens { get; init; }
    /// <summary>Anthropic: <c>max_tokens</c> when the client gave none (it is required there, P15).</summary>
    public int DefaultMaxTokens { get; init; } = 8192;
    /// <summary>OpenAI: translate thinking requests into <c>reasoning_effort</c> (only reasoning models accept it).</summary>
    public bool SendReasoningEffort { get; init; }
}

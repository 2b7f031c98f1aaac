using Switchyard.Config;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Dispatch;

/// <summary>Applies a route target's patch to a copy of the canonical request (cap max_tokens, set effort, drop parameters).</summary>
internal static class RequestPatcher
{
    public static ChatRequest Apply(ChatRequest source, RequestPatch patch)
    {
        var copy = new ChatRequest
        {
            Model = source.Model,
            ToolChoice = source.ToolChoice,
            MaxTokens = source.MaxTokens,
            Temperature = source.Temperature,
            TopP = source.TopP,
            TopK = source.TopK,
            StopSequences = source.StopSequences,
            Stream = source.Stream,
            StreamIncludeUsage = source.StreamIncludeUsage,
            Reasoning = source.Reasoning,
            ResponseFormat = source.ResponseFormat,
            UserId = source.UserId,
            N = source.N,
            SourceProtocol = source.SourceProtocol,
        };
        copy.System.AddRange(source.System);
        copy.Messages.AddRange(source.Messages);
        copy.Tools.AddRange(source.Tools);
        foreach (var (k, v) in source.Extensions)
        {
            copy.Extensions[k] = v;
        }
        if (patch.MaxTokens is { } cap)
        {
            copy.MaxTokens = Math.Min(copy.MaxTokens ?? cap, cap);
        }
        if (patch.ReasoningEffort is { } effort)
        {
            copy.Reasoning = new ReasoningOptions { Mode = effort == "none" ? ReasoningMode.Disabled : ReasoningMode.Enabled, Effort = effort };
        }
        foreach (var name in patch.Drop)
        {
            switch (name)
            {
                case "temperature": copy.Temperature = null; break;
                case "top_p": copy.TopP = null; break;
                case "top_k": copy.TopK = null; break;
                case "stop" or "stop_sequences": copy.StopSequences = null; break;
                case "max_tokens" or "max_completion_tokens": copy.MaxTokens = null; break;
                case "reasoning_effort" or "thinking" or "reasoning": copy.Reasoning = null; break;
                case "response_format": copy.ResponseFormat = null; break;
                case "tool_choice": copy.ToolChoice = null; break;
                case "user" or "metadata": copy.UserId = null; break;
                case "n": copy.N = null; break;
                case "tools": copy.Tools.Clear(); copy.ToolChoice = null; break;
                default: copy.Extensions.Remove(name); break;
            }
        }
        return copy;
    }
}

namespace Switchyard.Config;

/// <summary>
/// Defaults for well-known OpenAI-compatible servers, so <c>type: openai</c> + <c>preset: …</c> just works:
/// their base URL, which output-limit field they accept, and whether they need a key at all.
/// Explicit settings in the provider entry always win.
/// </summary>
internal sealed record OpenAIPreset(string Name, string BaseUrl, string MaxTokensField, bool KeyOptional)
{
    private static readonly OpenAIPreset[] All =
    [
        new("deepseek", "https://api.deepseek.com/v1", "max_tokens", false),
        new("openrouter", "https://openrouter.ai/api/v1", "max_tokens", false),
        new("groq", "https://api.groq.com/openai/v1", "max_completion_tokens", false),
        new("vllm", "http://127.0.0.1:8000/v1", "max_tokens", true),
        new("ollama", "http://127.0.0.1:11434/v1", "max_tokens", true),
    ];

    public static IEnumerable<string> Names => All.Select(p => p.Name);

    public static OpenAIPreset? Find(string name) => All.FirstOrDefault(p => p.Name == name);
}

using System.Text.Json;

namespace Switchyard.Protocols.Canonical;

public sealed class ReasoningOptions
{
    public ReasoningMode Mode { get; set; } = ReasoningMode.Enabled;
    /// <summary>none | minimal | low | medium | high | xhigh | max.</summary>
    public string? Effort { get; set; }
    public int? BudgetTokens { get; set; }
    /// <summary>The source's own thinking object, written back verbatim to the same family.</summary>
    public JsonElement? Raw { get; set; }
}

public enum ReasoningMode { Disabled, Enabled, Adaptive }

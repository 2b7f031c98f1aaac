namespace Switchyard.Protocols.Canonical;

public sealed record ToolChoice(ToolChoiceKind Kind, string? Name = null, bool DisableParallel = false);

public enum ToolChoiceKind { Auto, None, Required, Specific }

using System.Text.Json;

namespace Switchyard.Protocols.Canonical;

public sealed record ResponseFormat(ResponseFormatKind Kind, string? Name = null, JsonElement? Schema = null, bool? Strict = null);

public enum ResponseFormatKind { Text, JsonObject, JsonSchema }

using System.Text.Json;

namespace Switchyard.Protocols.Canonical;

public sealed class ToolDefinition : VendorExtensible
{
    public required string Name { get; init; }
    public string? Description { get; init; }
    /// <summary>JSON Schema of the arguments (may be absent).</summary>
    public JsonElement? Parameters { get; init; }
    public bool? Strict { get; init; }
    /// <summary>A provider-hosted tool (e.g. Anthropic <c>web_search_20250305</c>) kept verbatim; only its own family can take it.</summary>
    public JsonElement? HostedRaw { get; init; }
    public WireProtocol? HostedFamily { get; init; }
    /// <summary>What a hosted tool does, when other upstreams have an equivalent (<see cref="HostedTools"/>).</summary>
    public HostedToolKind HostedKind { get; init; }
    /// <summary>Fields of the tool object that the codec does not model (same-family round trip).</summary>
    public Dictionary<string, JsonElement>? Extensions { get; set; }
}

public enum HostedToolKind { Other, WebSearch }

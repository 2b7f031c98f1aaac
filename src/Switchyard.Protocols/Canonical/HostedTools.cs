namespace Switchyard.Protocols.Canonical;

/// <summary>
/// What an upstream encoder does with a provider-hosted tool: its own family's tool goes verbatim; a tool other
/// upstreams have an equivalent of (web search) is mapped; a Responses client's other hosted tools are left out (its
/// agents send them on every turn, e.g. Codex's <c>web_search</c>); any other is refused with a 400.
/// </summary>
public static class HostedTools
{
    /// <param name="hasFunctions">The request also offers function tools (Gemini refuses Google Search beside them).</param>
    public static HostedToolPlan Plan(ToolDefinition tool, WireProtocol upstream, bool sameFamily, bool hasFunctions)
    {
        if (tool.HostedRaw is null)
        {
            return HostedToolPlan.Function;
        }
        if (sameFamily && tool.HostedFamily == upstream)
        {
            return HostedToolPlan.Verbatim;
        }
        if (tool.HostedKind == HostedToolKind.WebSearch && (upstream is WireProtocol.Anthropic or WireProtocol.Responses || (upstream == WireProtocol.Gemini && !hasFunctions)))
        {
            return HostedToolPlan.Equivalent;
        }
        return tool.HostedFamily == WireProtocol.Responses ? HostedToolPlan.Omit : HostedToolPlan.Refuse;
    }

    /// <summary>The hosted tools of a request that an upstream of <paramref name="upstream"/> will not receive (for the request's trail).</summary>
    public static IEnumerable<string> Omitted(ChatRequest request, WireProtocol upstream)
    {
        var sameFamily = request.SourceProtocol == upstream;
        var hasFunctions = HasFunctions(request.Tools);
        foreach (var t in request.Tools)
        {
            if (Plan(t, upstream, sameFamily, hasFunctions) == HostedToolPlan.Omit)
            {
                yield return t.Name;
            }
        }
    }

    public static bool HasFunctions(List<ToolDefinition> tools) => tools.Exists(t => t.HostedRaw is null);
}

public enum HostedToolPlan { Function, Verbatim, Equivalent, Omit, Refuse }

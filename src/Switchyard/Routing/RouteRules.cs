using Switchyard.Config;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Routing;

/// <summary>What scenario rules look at in a request: read once, from the canonical request and the caller's headers.</summary>
/// <param name="Tools">Each tool's name, and <c>web_search</c> for a hosted web-search tool of any vendor.</param>
internal sealed record RequestTraits(bool Thinking, int InputTokens, IReadOnlyList<string> Tools, bool Background, string Client)
{
    public static RequestTraits Of(ChatRequest request, string requestedModel, IHeaderDictionary headers) => new(
        request.Reasoning is { Mode: not ReasoningMode.Disabled } r && r.Effort is not "none",
        TokenEstimator.Count(request),
        [.. request.Tools.Select(t => t.HostedKind == HostedToolKind.WebSearch ? "web_search" : t.Name)],
        ResolvedRoute.IsSmallModel(requestedModel),
        ClientOf(headers));

    /// <summary>
    /// The agent CLI that sent a request, by its own headers: Claude Code (<c>claude-cli/…</c> user agent, <c>x-app: cli</c>),
    /// Codex (<c>codex_…</c> user agent or originator), Gemini CLI (<c>GeminiCLI…</c> user agent); anything else is <c>other</c>.
    /// </summary>
    public static string ClientOf(IHeaderDictionary headers)
    {
        var agent = headers.UserAgent.ToString();
        if (agent.StartsWith("claude-cli", StringComparison.OrdinalIgnoreCase) || headers["x-app"] == "cli")
        {
            return "claude-code";
        }
        if (agent.StartsWith("codex", StringComparison.OrdinalIgnoreCase) || headers["originator"].ToString().StartsWith("codex", StringComparison.OrdinalIgnoreCase))
        {
            return "codex";
        }
        return agent.StartsWith("GeminiCLI", StringComparison.OrdinalIgnoreCase) ? "gemini-cli" : "other";
    }
}

/// <summary>
/// Scenario rules (<c>rules:</c> on a route, as claude-code-router's <c>Router</c>): checked in order, the first whose
/// conditions all hold serves the request with its targets; when none does, the route's own targets serve it.
/// </summary>
internal static class RouteRules
{
    public static bool Holds(RuleConditions when, RequestTraits request) =>
        (when.Thinking is not { } thinking || thinking == request.Thinking)
        && (when.MinInputTokens is not { } min || request.InputTokens >= min)
        && (when.ToolsInclude is not { } tool || request.Tools.Any(name => Matches(tool, name)))
        && (when.Background is not { } background || background == request.Background)
        && (when.Client is not { } client || client == request.Client);

    /// <summary>The route the request goes to: a rule's (named in <c>MatchedBy</c>), else the one resolved.</summary>
    public static ResolvedRoute Apply(ResolvedRoute route, RequestTraits request)
    {
        var rules = route.Route.Rules;
        for (var i = 0; i < rules.Length; i++)
        {
            if (Holds(rules[i].When, request))
            {
                return route with { Route = rules[i].Route, MatchedBy = $"{route.MatchedBy}, rule {i} ({rules[i].When.Describe()})" };
            }
        }
        return route;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, System.Text.RegularExpressions.Regex> Globs = new(StringComparer.Ordinal);

    private static bool Matches(string glob, string name) =>
        glob.Contains('*', StringComparison.Ordinal) || glob.Contains('?', StringComparison.Ordinal)
            ? Globs.GetOrAdd(glob, RouteTable.GlobToRegex).IsMatch(name)
            : string.Equals(glob, name, StringComparison.OrdinalIgnoreCase);
}

using System.Collections.Frozen;
using System.Text.RegularExpressions;
using Switchyard.Config;

namespace Switchyard.Routing;

/// <summary>A resolved route: the candidate targets for a requested model name, and why it matched.</summary>
internal sealed record ResolvedRoute(RouteConfig Route, string RequestedModel, string MatchedBy)
{
    /// <summary>
    /// The model to ask the target's provider for: the target's own name; else Claude Code's big/small mapping of the
    /// route or the provider (Haiku-class names → small, the rest → big; "passthrough" keeps the name); else the
    /// requested name passed through.
    /// </summary>
    public string UpstreamModel(RouteTarget target, ProviderConfig provider)
    {
        if (target.Model is { } explicitModel)
        {
            return explicitModel;
        }
        var big = Route.BigModel ?? provider.BigModel;
        var small = Route.SmallModel ?? provider.SmallModel;
        var chosen = IsSmallModel(RequestedModel) ? small ?? big : big;
        return chosen is null or "passthrough" ? RequestedModel : chosen;
    }

    public static bool IsSmallModel(string name) => name.Contains("haiku", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// Model name → route: exact names and aliases first, then globs (<c>*</c>, <c>?</c>) in config order, then keyword
/// rules (the name contains the keyword), then the default route.
/// </summary>
internal sealed class RouteTable
{
    private readonly FrozenDictionary<string, RouteConfig> _exact;
    private readonly (Regex Pattern, RouteConfig Route)[] _globs;
    private readonly (string Keyword, RouteConfig Route)[] _keywords;
    private readonly RouteConfig? _default;

    public RouteTable(IEnumerable<RouteConfig> routes)
    {
        var exact = new Dictionary<string, RouteConfig>(StringComparer.Ordinal);
        var globs = new List<(Regex, RouteConfig)>();
        var keywords = new List<(string, RouteConfig)>();
        foreach (var r in routes)
        {
            if (r.Model.Length > 0 && r.IsGlob)
            {
                globs.Add((GlobToRegex(r.Model), r));
            }
            else if (r.Model.Length > 0)
            {
                exact.TryAdd(r.Model, r);
            }
            foreach (var alias in r.Aliases)
            {
                exact.TryAdd(alias, r);
            }
            keywords.AddRange(r.Keywords.Select(k => (k, r)));
            if (r.IsDefault)
            {
                _default ??= r;
            }
        }
        _exact = exact.ToFrozenDictionary(StringComparer.Ordinal);
        _globs = [.. globs];
        _keywords = [.. keywords];
    }

    public IEnumerable<string> ExactModels => _exact.Keys;

    public ResolvedRoute? Resolve(string model)
    {
        if (_exact.TryGetValue(model, out var route))
        {
            return new ResolvedRoute(route, model, route.Model == model ? "exact" : "alias");
        }
        foreach (var (pattern, r) in _globs)
        {
            if (pattern.IsMatch(model))
            {
                return new ResolvedRoute(r, model, "glob " + r.Model);
            }
        }
        foreach (var (keyword, r) in _keywords)
        {
            if (model.Contains(keyword, StringComparison.OrdinalIgnoreCase))
            {
                return new ResolvedRoute(r, model, "keyword " + keyword);
            }
        }
        return _default is null ? null : new ResolvedRoute(_default, model, "default");
    }

    internal static Regex GlobToRegex(string glob) =>
        new("^" + Regex.Escape(glob).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$",
            RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);
}

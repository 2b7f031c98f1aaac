using System.Collections.Frozen;
using System.Text.RegularExpressions;
using Switchyard.Config;

namespace Switchyard.Routing;

/// <summary>A resolved route: the candidate targets for a requested model name, in order.</summary>
internal sealed record ResolvedRoute(RouteConfig Route, string RequestedModel)
{
    /// <summary>The model to ask the target's provider for: the target's own name, or the requested one passed through.</summary>
    public string UpstreamModel(RouteTarget target) => target.Model ?? RequestedModel;
}

/// <summary>Model name → route: exact names first, then globs (<c>*</c>, <c>?</c>) in config order.</summary>
internal sealed class RouteTable
{
    private readonly FrozenDictionary<string, RouteConfig> _exact;
    private readonly (Regex Pattern, RouteConfig Route)[] _globs;

    public RouteTable(IEnumerable<RouteConfig> routes)
    {
        var exact = new Dictionary<string, RouteConfig>(StringComparer.Ordinal);
        var globs = new List<(Regex, RouteConfig)>();
        foreach (var r in routes)
        {
            if (r.IsGlob)
            {
                globs.Add((GlobToRegex(r.Model), r));
            }
            else
            {
                exact.TryAdd(r.Model, r);
            }
        }
        _exact = exact.ToFrozenDictionary(StringComparer.Ordinal);
        _globs = [.. globs];
    }

    public IEnumerable<string> ExactModels => _exact.Keys;

    public ResolvedRoute? Resolve(string model)
    {
        if (_exact.TryGetValue(model, out var route))
        {
            return new ResolvedRoute(route, model);
        }
        foreach (var (pattern, r) in _globs)
        {
            if (pattern.IsMatch(model))
            {
                return new ResolvedRoute(r, model);
            }
        }
        return null;
    }

    private static Regex GlobToRegex(string glob) =>
        new("^" + Regex.Escape(glob).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$",
            RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);
}

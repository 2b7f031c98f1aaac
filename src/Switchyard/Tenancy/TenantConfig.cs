using System.Collections.Immutable;

namespace Switchyard.Tenancy;

/// <summary>A tenant as the config (or the store) defines it: its static keys and the model names it may ask for (globs).</summary>
/// <param name="Origin"><c>file</c> or <c>store</c>: where it comes from, and so where it is changed.</param>
internal sealed partial record TenantConfig(string Name, ImmutableArray<string> Keys, ImmutableArray<string> Models, string Origin = "file")
{
    /// <summary>The tenant <c>auth.keys</c> belong to.</summary>
    public const string DefaultName = "default";

    public UsageLimits Limits { get; init; } = UsageLimits.None;

    /// <summary>Store the tenant's request bodies in the request log (<c>capture_bodies</c>), secrets redacted.</summary>
    public bool CaptureBodies { get; init; }

    /// <summary>Limits each end user of the tenant has (<c>user_limits</c>), counted per user.</summary>
    public UsageLimits UserLimits { get; init; } = UsageLimits.None;

    public static readonly ImmutableArray<string> AnyModel = ["*"];

    /// <summary>The rule for every tenant name, in the file and through the admin API.</summary>
    public const string NameRule = "1 to 64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit";

    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial System.Text.RegularExpressions.Regex NamePattern();

    /// <summary>The globs compiled, for the <see cref="Models"/> they were compiled from (a <c>with</c> expression copies fields).</summary>
    private sealed record CompiledGlobs(ImmutableArray<string> For, System.Text.RegularExpressions.Regex[] Patterns);

    private CompiledGlobs? _compiled;

    /// <summary>Whether the requested model name matches one of the tenant's globs (case-insensitive, as routes match).</summary>
    public bool Allows(string model)
    {
        var compiled = _compiled;
        if (compiled is null || compiled.For != Models)
        {
            _compiled = compiled = new CompiledGlobs(Models, [.. Models.Select(Routing.RouteTable.GlobToRegex)]);
        }
        foreach (var pattern in compiled.Patterns)
        {
            if (pattern.IsMatch(model))
            {
                return true;
            }
        }
        return false;
    }
}

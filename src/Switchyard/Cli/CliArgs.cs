namespace Switchyard.Cli;

/// <summary>
/// A command line as the admin verbs read it: positional words, <c>--name value</c> (or <c>--name=value</c>) options,
/// some of which may repeat (<c>--key a --key b</c>), and flags that take no value (<c>--json</c>).
/// </summary>
internal sealed class CliArgs
{
    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "--json", "--inline-secrets", "--disabled", "--help", "-h", "--force" };

    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    public CliArgs(IEnumerable<string> args)
    {
        var list = args.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            var a = list[i];
            if (a == "--")
            {
                Positional.AddRange(list.Skip(i + 1));
                break;
            }
            if (Flags.Contains(a))
            {
                _flags.Add(a);
            }
            else if (a.StartsWith("--", StringComparison.Ordinal) && a.Length > 2)
            {
                var eq = a.IndexOf('=', StringComparison.Ordinal);
                var (name, value) = eq > 0 ? (a[..eq], a[(eq + 1)..]) : (a, i + 1 < list.Count ? list[++i] : null);
                if (value is null)
                {
                    Missing.Add(name);
                    continue;
                }
                (_options.TryGetValue(name, out var values) ? values : _options[name] = []).Add(value);
            }
            else
            {
                Positional.Add(a);
            }
        }
    }

    public List<string> Positional { get; } = [];

    /// <summary>Options given without a value (a usage error).</summary>
    public List<string> Missing { get; } = [];

    public bool Has(string flag) => _flags.Contains(flag);

    public string? Get(string name) => _options.TryGetValue(name, out var v) ? v[^1] : null;

    public IReadOnlyList<string> All(string name) => _options.TryGetValue(name, out var v) ? v : [];
}

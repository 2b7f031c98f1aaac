namespace Switchyard.Tests.Infrastructure;

/// <summary>Finds npm-installed client tools under tests/clients/node_modules (filled by scripts/test.sh).</summary>
public static class ToolLocator
{
    public static string Find(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "clients", "node_modules", ".bin", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException($"'{name}' is not installed under tests/clients/node_modules: run 'bash scripts/test.sh' (it installs the npm clients the tests drive).");
    }
}

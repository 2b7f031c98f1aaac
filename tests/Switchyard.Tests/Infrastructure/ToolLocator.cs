namespace Switchyard.Tests.Infrastructure;

/// <summary>Finds the npm-installed client tools under tests/clients (filled by scripts/test.sh).</summary>
public static class ToolLocator
{
    public static string ClientsDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "clients");
            if (File.Exists(Path.Combine(candidate, "package.json")))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException("tests/clients not found above the test binaries");
    }

    public static string Find(string name)
    {
        var path = Path.Combine(ClientsDirectory(), "node_modules", ".bin", name);
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"'{name}' is not installed under tests/clients/node_modules: run 'bash scripts/test.sh' (it installs the npm clients the tests drive).");
    }
}

using System.Text.Json.Nodes;
using Spectre.Console;
using Switchyard.Config.Import;

namespace Switchyard.Cli;

/// <summary>
/// <c>switchyard import FILE [--out switchyard.yaml] [--env-file FILE] [--inline-secrets] [--force] [--json]</c>:
/// converts another tool's config into a Switchyard config (and an env file with the secrets it found), then prints
/// what mapped, what was approximated and what has no equivalent. Needs no gateway.
/// </summary>
internal static class ImportCommand
{
    public const string Name = "import";

    public static async Task<int> RunAsync(string[] args, IAnsiConsole console)
    {
        var cli = new CliArgs(args.Skip(1));
        if (cli.Positional is not [var file] || cli.Missing.Count > 0)
        {
            console.WriteLine("usage: switchyard import FILE [--out switchyard.yaml] [--env-file switchyard.env] [--inline-secrets] [--force] [--json]");
            return AdminCommands.Usage;
        }
        var output = cli.Get("--out") ?? "switchyard.yaml";
        var envFile = cli.Get("--env-file") ?? Path.Combine(Path.GetDirectoryName(output) ?? "", Path.GetFileNameWithoutExtension(output) + ".env");
        ImportResult result;
        try
        {
            result = ConfigImporter.Import(await File.ReadAllTextAsync(file).ConfigureAwait(false), file, cli.Has("--inline-secrets"));
        }
        catch (Exception ex) when (ex is ImportException or IOException or UnauthorizedAccessException)
        {
            console.MarkupLineInterpolated($"[red]cannot import {file}:[/] {ex.Message}");
            return AdminCommands.Refused;
        }
        var writesEnv = result.Report.Secrets.Count > 0;
        foreach (var target in writesEnv ? [output, envFile] : new[] { output })
        {
            if (File.Exists(target) && !cli.Has("--force"))
            {
                console.MarkupLineInterpolated($"[red]{target} exists:[/] choose another --out (or --env-file), or --force to overwrite it");
                return AdminCommands.Refused;
            }
        }
        await File.WriteAllTextAsync(output, result.Yaml).ConfigureAwait(false);
        if (writesEnv)
        {
            await File.WriteAllTextAsync(envFile, result.EnvFile).ConfigureAwait(false);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(envFile, UnixFileMode.UserRead | UnixFileMode.UserWrite); // secrets: the owner's only
            }
        }
        var report = result.Report;
        if (cli.Has("--json"))
        {
            console.Profile.Out.Writer.WriteLine(new JsonObject
            {
                ["format"] = report.Format,
                ["config"] = output,
                ["env_file"] = writesEnv ? envFile : null,
                ["secrets"] = new JsonArray([.. report.Secrets.Keys.Select(k => (JsonNode)k)]),
                ["mapped"] = new JsonArray([.. report.Mapped.Select(m => (JsonNode)m)]),
                ["approximated"] = new JsonArray([.. report.Approximated.Select(m => (JsonNode)m)]),
                ["unsupported"] = new JsonArray([.. report.Unsupported.Select(m => (JsonNode)m)]),
            }.ToJsonString());
            return AdminCommands.Ok;
        }
        var secrets = writesEnv ? $" and {envFile} ({report.Secrets.Count} secrets: {string.Join(", ", report.Secrets.Keys)})" : "";
        console.MarkupLineInterpolated($"[green]imported[/] {file} ({report.Format}) → {output}{secrets}");
        Section(console, "mapped", "green", report.Mapped);
        Section(console, "approximated", "yellow", report.Approximated);
        Section(console, "no equivalent", "red", report.Unsupported);
        console.WriteLine();
        console.WriteLine(writesEnv
            ? $"Start it with the secrets in its environment:  set -a; . {envFile}; set +a; switchyard serve --config {output}"
            : $"Start it:  switchyard serve --config {output}");
        return AdminCommands.Ok;
    }

    private static void Section(IAnsiConsole console, string title, string color, List<string> lines)
    {
        if (lines.Count == 0)
        {
            return;
        }
        console.MarkupLine($"[{color}]{title}:[/]");
        foreach (var line in lines)
        {
            console.MarkupLineInterpolated($"  - {line}");
        }
    }
}

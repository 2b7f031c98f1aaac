using Spectre.Console;
using Switchyard.Config;
using Switchyard.Storage;

namespace Switchyard.Cli;

/// <summary>
/// <c>switchyard master-key new</c> prints a fresh master key; <c>switchyard master-key rotate [--config FILE]</c>
/// re-encrypts every credential in the config's store from <c>SWITCHYARD_MASTER_KEY</c> to
/// <c>SWITCHYARD_NEW_MASTER_KEY</c>, in one transaction (all or nothing; values already under the new key are left
/// as they are, so a repeated run is harmless). Keys come from the environment, never the command line, so they stay
/// out of shell history and process lists. Exit codes as the other commands: 0 done, 1 refused, 2 bad usage.
/// </summary>
internal static class MasterKeyCommand
{
    public const string Name = "master-key";
    public const string NewKeyVariable = "SWITCHYARD_NEW_MASTER_KEY";

    public static async Task<int> RunAsync(string[] args, IAnsiConsole console, Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        switch (args.Skip(1).FirstOrDefault())
        {
            case "new":
                console.Profile.Out.Writer.WriteLine(CredentialVault.NewKey());
                return AdminCommands.Ok;
            case "rotate":
                return await RotateAsync(args, console, env).ConfigureAwait(false);
            default:
                console.WriteLine($"usage: switchyard master-key new | master-key rotate [--config FILE]   (rotate reads {CredentialVault.Variable} and {NewKeyVariable})");
                return AdminCommands.Usage;
        }
    }

    private static async Task<int> RotateAsync(string[] args, IAnsiConsole console, Func<string, string?> env)
    {
        var i = Array.IndexOf(args, "--config");
        var path = i >= 0 && i + 1 < args.Length ? args[i + 1] : File.Exists("switchyard.yaml") ? "switchyard.yaml" : null;
        try
        {
            var options = path is null ? StorageOptions.Default : ConfigLoader.LoadFile(path, env).Storage;
            var current = new CredentialVault(env(CredentialVault.Variable));
            var next = new CredentialVault(env(NewKeyVariable));
            if (!current.HasKey || !next.HasKey)
            {
                console.MarkupLineInterpolated($"[red]refused[/]: set {CredentialVault.Variable} to the key in use and {NewKeyVariable} to the new one (make one with: switchyard master-key new).");
                return AdminCommands.Usage;
            }
            if (current.KeyId == next.KeyId)
            {
                console.MarkupLineInterpolated($"[red]refused[/]: {NewKeyVariable} is the key in use ({current.KeyId}).");
                return AdminCommands.Usage;
            }
            await using var store = Store.Open(options);
            store.Migrate();
            var count = await new ConfigRecords(store).ResealAllAsync(
                (sealedValue, context) => CredentialVault.KeyIdOf(sealedValue) == next.KeyId ? sealedValue : next.Seal(current.Open(sealedValue, context), context),
                CancellationToken.None).ConfigureAwait(false);
            console.MarkupLineInterpolated($"[green]rotated[/]: {count} credential(s) in {options.Describe()} are now sealed under master key {next.KeyId} (was {current.KeyId}).");
            console.MarkupLineInterpolated($"Restart every gateway on this store with {CredentialVault.Variable} set to the new key.");
            return AdminCommands.Ok;
        }
        catch (ConfigException ex)
        {
            console.MarkupLineInterpolated($"[red]invalid config[/]: {ex.Message}");
            return AdminCommands.Refused;
        }
        catch (StoreException ex)
        {
            console.MarkupLineInterpolated($"[red]refused[/], nothing was changed: {ex.Message}");
            return AdminCommands.Refused;
        }
    }
}

return args switch
{
    [Switchyard.Cli.MasterKeyCommand.Name, ..] => await Switchyard.Cli.MasterKeyCommand.RunAsync(args, Spectre.Console.AnsiConsole.Console).ConfigureAwait(false),
    [var verb, ..] when Switchyard.Cli.AdminCommands.Names.Contains(verb) => await Switchyard.Cli.AdminCommands.RunAsync(args, Spectre.Console.AnsiConsole.Console,
        ct: Switchyard.Cli.AdminCommands.StopOnCtrlC()).ConfigureAwait(false),
    [Switchyard.Cli.ImportCommand.Name, ..] => await Switchyard.Cli.ImportCommand.RunAsync(args, Spectre.Console.AnsiConsole.Console).ConfigureAwait(false),
    [var agent, ..] when Switchyard.Cli.AgentLaunchers.Names.Contains(agent) => await Switchyard.Cli.AgentLaunchers.RunAsync(args, Console.Error).ConfigureAwait(false),
    _ => await Switchyard.Cli.ServeCommand.RunAsync(args).ConfigureAwait(false),
};

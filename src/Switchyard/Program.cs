return args switch
{
    [Switchyard.Cli.MasterKeyCommand.Name, ..] => await Switchyard.Cli.MasterKeyCommand.RunAsync(args, Spectre.Console.AnsiConsole.Console).ConfigureAwait(false),
    [var verb, ..] when Switchyard.Cli.AdminCommands.Names.Contains(verb) => await Switchyard.Cli.AdminCommands.RunAsync(args, Spectre.Console.AnsiConsole.Console,
        ct: Switchyard.Cli.AdminCommands.StopOnCtrlC()).ConfigureAwait(false),
    _ => await Switchyard.Cli.ServeCommand.RunAsync(args).ConfigureAwait(false),
};

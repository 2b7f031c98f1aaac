return args.Length > 0 && Switchyard.Cli.AdminCommands.Names.Contains(args[0])
    ? await Switchyard.Cli.AdminCommands.RunAsync(args, Spectre.Console.AnsiConsole.Console).ConfigureAwait(false)
    : await Switchyard.Cli.ServeCommand.RunAsync(args).ConfigureAwait(false);

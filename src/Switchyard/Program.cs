return await Switchyard.Cli.ServeCommand.RunAsync(args).ConfigureAwait(false);

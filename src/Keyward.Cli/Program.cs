using Keyward.Cli;

return await Commands.RunAsync(args);

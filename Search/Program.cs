using Mnist.Search.Cli;

return await SearchApp.RunAsync(args);

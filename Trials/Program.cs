using Mnist.Trials.Commands;

return WorkerCommandLine.Invoke(args);

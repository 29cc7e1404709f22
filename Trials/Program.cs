using Mnist.Trials.Protocol;

return WorkerCommandLine.Invoke(args);

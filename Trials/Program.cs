using Mnist.Protocol.Files;
using Mnist.Trials.Commands;

// A checkpoint or export being written when a signal or the end of stdin ends the process is removed, not left half.
PartialFiles.RemoveWhenEnded();
return WorkerCommandLine.Invoke(args);

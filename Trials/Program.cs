using Mnist.Protocol.Files;
using Mnist.Trials.Commands;
using Mnist.Trials.Protocol;

// A checkpoint or export being written when a signal or the end of stdin ends the process is removed, not left half,
// and the process ends without running libtorch's static destructors under a training thread.
PartialFiles.RemoveWhenEnded();
ImmediateExit.OnTerminationSignals();
return WorkerCommandLine.Invoke(args);

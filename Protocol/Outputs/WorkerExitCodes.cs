namespace Mnist.Protocol.Outputs;

/// <summary>Process exit codes of the worker (docs/worker-protocol.md).</summary>
public static class WorkerExitCodes
{
    /// <summary>The trial finished: complete or pruned.</summary>
    public const int Success = 0;

    /// <summary>Anything else: an unexpected exception, or stdin closed (the parent is gone).</summary>
    public const int Failure = 1;

    /// <summary>Bad spec, bad command line or bad data files.</summary>
    public const int BadInput = 2;

    /// <summary>Training failed: the loss became NaN or infinite.</summary>
    public const int TrainingFailed = 3;

    /// <summary>
    /// This machine cannot run the worker: the device the spec asks for cannot be used ("cuda" where CUDA is not
    /// available), or libtorch cannot be loaded. The machine's problem, not the configuration's, so the coordinator queues the trial again and stops instead of failing one
    /// trial after another (exit 2 made every trial of a shared study's budget fail within seconds).
    /// </summary>
    public const int DeviceUnavailable = 4;
}

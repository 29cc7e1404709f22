namespace Mnist.Trials.Protocol;

/// <summary>Process exit codes of <c>Trials run</c> (docs/worker-protocol.md).</summary>
internal static class ExitCodes
{
    /// <summary>The trial finished: complete or pruned.</summary>
    public const int Success = 0;

    /// <summary>Anything else: an unexpected exception, or stdin closed (the parent is gone).</summary>
    public const int Failure = 1;

    /// <summary>Bad spec, bad command line or bad data files.</summary>
    public const int BadInput = 2;

    /// <summary>Training failed: the loss became NaN or infinite.</summary>
    public const int TrainingFailed = 3;
}

namespace Mnist.Protocol.Events;

/// <summary>Field names of the worker's events that the coordinator reads.</summary>
public static class EventFields
{
    /// <summary><c>epoch</c>: the 1-based epoch number.</summary>
    public const string EpochNumber = "epoch";

    public const string TrainLoss = "train_loss";
    public const string ValLoss = "val_loss";
    public const string ValAccuracy = "val_accuracy";
    public const string ImagesPerSecond = "images_per_s";

    /// <summary><c>result</c>: <see cref="Complete"/> or <see cref="Pruned"/>.</summary>
    public const string State = "state";

    public const string Complete = "complete";
    public const string Pruned = "pruned";
    public const string TestAccuracy = "test_accuracy";
    public const string TestLoss = "test_loss";
    public const string DurationSeconds = "duration_s";

    /// <summary><c>result</c>: epochs trained (fewer than planned when pruned or cut to fit <c>max_seconds</c>).</summary>
    public const string EpochsRun = "epochs_run";

    /// <summary><c>epoch</c>: the epochs the run now plans; below the spec's <c>epochs</c> once <c>max_seconds</c> cut them.</summary>
    public const string EpochsPlanned = "epochs_planned";

    /// <summary><c>result</c>: absolute path of the checkpoint's weights, or null.</summary>
    public const string Checkpoint = "checkpoint";

    /// <summary><c>start</c>: whether libtorch's oneDNN CPU kernels are on.</summary>
    public const string OneDnn = "onednn";

    /// <summary><c>start</c>: why oneDNN, though asked for, is off (the worker's check of the network found it wrong), or null.</summary>
    public const string OneDnnRefused = "onednn_refused";

    /// <summary><c>error</c>: the one-line reason.</summary>
    public const string Message = "message";
}

namespace Mnist.Protocol.Events;

/// <summary>
/// Field names of the worker's events (docs/worker-protocol.md, "Events"): the one spelling the built-in worker writes
/// and the coordinator reads. The worker once wrote its own literals beside these, so a rename here would have
/// changed the reader only and every trial would have reported no objective; <c>EventFieldsAgreementTests</c> pins
/// the worker's output and the document to this list.
/// </summary>
public static class EventFields
{
    /// <summary><c>start</c>: the resolved hyperparameters, every key of the spec's table.</summary>
    public const string Config = "config";

    /// <summary><c>start</c>: <c>cpu</c> or <c>cuda</c>, the device the run trains on.</summary>
    public const string Device = "device";

    /// <summary><c>start</c>: libtorch's intra-op threads.</summary>
    public const string Threads = "threads";

    /// <summary><c>start</c>: images trained on, after the hold-out and <c>train_subset</c>.</summary>
    public const string TrainImages = "train_images";

    /// <summary><c>start</c>: images held out for validation (0 with <c>full_train</c>).</summary>
    public const string ValImages = "val_images";

    /// <summary><c>start</c>: the worker's process id.</summary>
    public const string Pid = "pid";

    /// <summary><c>start</c>: the spec's <c>epochs</c>.</summary>
    public const string Epochs = "epochs";

    /// <summary><c>start</c>: the spec's <c>seed</c>.</summary>
    public const string Seed = "seed";

    /// <summary><c>start</c>: the dataset's name (<c>mnist</c>, <c>fashion-mnist</c>).</summary>
    public const string Dataset = "dataset";

    /// <summary><c>start</c>: the absolute output folder.</summary>
    public const string OutDir = "out_dir";

    /// <summary><c>epoch</c>: the 1-based epoch number.</summary>
    public const string EpochNumber = "epoch";

    public const string TrainLoss = "train_loss";
    public const string ValLoss = "val_loss";
    public const string ValAccuracy = "val_accuracy";

    /// <summary><c>epoch</c>: training images per second of <see cref="TrainSeconds"/>.</summary>
    public const string ImagesPerSecond = "images_per_s";

    /// <summary><c>epoch</c>: seconds since the run started.</summary>
    public const string ElapsedSeconds = "elapsed_s";

    /// <summary><c>epoch</c>: seconds the epoch trained.</summary>
    public const string TrainSeconds = "train_s";

    /// <summary><c>epoch</c>: seconds of the epoch's validation pass.</summary>
    public const string EvalSeconds = "eval_s";

    /// <summary><c>epoch</c>: the learning rate of the epoch's last step.</summary>
    public const string LearningRate = "lr";

    /// <summary><c>epoch</c>: the process's resident memory (VmRSS, native memory included), MB.</summary>
    public const string RssMegabytes = "rss_mb";

    /// <summary><c>result</c>: <see cref="Complete"/> or <see cref="Pruned"/>.</summary>
    public const string State = "state";

    public const string Complete = "complete";
    public const string Pruned = "pruned";

    /// <summary><c>result</c>: the best <see cref="ValAccuracy"/> of all epochs (that field is the last epoch's).</summary>
    public const string BestValAccuracy = "best_val_accuracy";

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

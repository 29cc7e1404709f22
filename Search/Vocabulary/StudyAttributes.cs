using Mnist.Protocol.Events;

namespace Mnist.Search.Vocabulary;

/// <summary>Names of the attributes the coordinator keeps in storage (Optuna-readable key/JSON pairs).</summary>
public static class StudyAttributes
{
    // Study system attributes.
    public const string SearchSpace = "mnist_search:space";
    public const string Settings = "mnist_search:settings";
    /// <summary>The study's budget of trials as last applied (creation, or a resume that changed it), read by every running process.</summary>
    public const string BudgetTrials = "mnist_search:budget_trials";
    /// <summary>A random id given at creation; <c>studies/NAME/.study-id</c> holds it to tie the folder to this study (issue 11).</summary>
    public const string FolderId = "mnist_search:folder_id";

    // Study user attributes, written by the retrainer and read by the report and the model commands.
    public const string RetrainTestAccuracy = "retrain_test_accuracy";
    public const string RetrainTestLoss = "retrain_test_loss";
    public const string RetrainTrial = "retrain_trial";
    public const string RetrainDirectory = "retrain_dir";
    public const string RetrainMetrics = "retrain_metrics";

    // Study user attributes for Python readers (Study/PlainAttributes): what study.user_attrs needs besides the trials.
    /// <summary>The fixed hyperparameters, <c>{name: value}</c> as search.json's <c>fixed</c> gives them.</summary>
    public const string Fixed = "fixed";
    /// <summary>The objective, <c>{"metric": "val_accuracy", "direction": "maximize"}</c>.</summary>
    public const string Objective = "objective";
    /// <summary>The chosen configuration, <c>{"trial": N, "value": V, "evaluations": [N, ...]}</c> (a mean under <c>selection</c>).</summary>
    public const string Chosen = "chosen";

    // Trial system attributes.
    public const string Device = "device";
    public const string Host = "host";
    public const string CoordinatorPid = "coordinator_pid";
    public const string CoordinatorInstance = "coordinator_instance";
    public const string WorkerPid = "worker_pid";
    /// <summary>The worker process's <see cref="Study.ProcessIdentity.Instance"/> (boot, pid namespace, start time): tells it from a later process reusing its pid.</summary>
    public const string WorkerInstance = "worker_instance";
    public const string TrialDirectory = "trial_dir";
    public const string StdoutLog = "stdout_log";
    public const string StderrLog = "stderr_log";
    public const string FailReason = "fail_reason";
    public const string RetryOf = "retry_of";
    public const string RetryCount = "retry_count";

    /// <summary>
    /// On a repeated evaluation (<c>selection</c> in search.json): the number of the COMPLETE trial whose configuration
    /// it trains again with another training seed. It is never pruned, and <see cref="BestTrial"/> ranks the configuration
    /// by the mean of its evaluations.
    /// </summary>
    public const string RepeatOf = "repeat_of";

    /// <summary>
    /// On an enqueued trial (<c>study enqueue</c>, or Optuna's <c>enqueue_trial</c>, whose key this is): the values it
    /// must run with, <c>{name: user-facing value}</c>; the sampler proposes the hyperparameters it leaves out.
    /// </summary>
    public const string FixedParams = "fixed_params";

    /// <summary>
    /// The trial's value at rung <paramref name="rung"/> of a successive-halving or Hyperband pruner, under Optuna's own key
    /// (<c>SuccessiveHalvingPruner</c> writes and reads it): Optuna's pruners in another client judge their trials
    /// against ours only through it.
    /// </summary>
    public static string CompletedRung(int rung) => $"completed_rung_{rung}";

    /// <summary>On a retry: the number of the failed trial whose late-arriving result it records (no rerun happened).</summary>
    public const string LateResultOf = "late_result_of";

    // Trial user attributes.
    public const string Epochs = "epochs";

    /// <summary>
    /// How far the trial trained, so Optuna (<c>trial.user_attrs["fidelity"]</c>) and the report can tell a
    /// pruned one-epoch score from a full run: <c>{"epochs": trained, "max_epochs": of a full trial,
    /// "train_images": per epoch}</c>. Written with every epoch.
    /// </summary>
    public const string Fidelity = "fidelity";
    // The result event's fields, stored under the same names.
    public const string Checkpoint = EventFields.Checkpoint;
    public const string DurationSeconds = EventFields.DurationSeconds;
    public const string ImagesPerSecond = EventFields.ImagesPerSecond;
}

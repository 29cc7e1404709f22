using Mnist.Search.Space;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Study;

/// <summary>
/// Everything the coordinator needs to run a study, resolved from <c>search.json</c> (or from the copy of
/// it stored with the study, for <c>study worker</c>): paths are absolute, durations are durations.
/// </summary>
public sealed partial record StudySettings
{
    public required string Name { get; init; }
    public required StudyDirection Direction { get; init; }

    /// <summary>The epoch event field that is the objective: <c>val_accuracy</c> or <c>val_loss</c>.</summary>
    public required string Metric { get; init; }

    public required SearchSpace Space { get; init; }

    /// <summary>Hyperparameters held fixed for every trial (external values).</summary>
    public IReadOnlyDictionary<string, object?> Fixed { get; init; } = new Dictionary<string, object?>();

    /// <summary>Trials that must end COMPLETE, PRUNED or FAIL (failures that were retried do not count).</summary>
    public required int Trials { get; init; }

    public required int Epochs { get; init; }

    public int Seed { get; init; } = 42;

    /// <summary>Trials at the end of the budget that evaluate the best configurations again (see <see cref="RepeatedEvaluation"/>).</summary>
    public Config.SelectionConfig Selection { get; init; } = Config.SelectionConfig.None;

    /// <summary>Folder of the study's logs and per-trial output (<c>studies/&lt;name&gt;</c>).</summary>
    public required string StudyDirectory { get; init; }

    public required TrialDataSettings Data { get; init; }

    /// <summary>After this long no new trial starts; running ones finish. Null: no limit.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>A trial running longer is killed and recorded FAIL.</summary>
    public TimeSpan TrialTimeout { get; init; } = TimeSpan.FromMinutes(10);

    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A RUNNING trial whose heartbeat is older than this belongs to a dead process.</summary>
    public TimeSpan HeartbeatGrace { get; init; } = DefaultHeartbeatGrace;

    /// <summary><see cref="HeartbeatGrace"/> unless MNIST_SEARCH_HEARTBEAT_GRACE_SECONDS sets another (tests).</summary>
    public static readonly TimeSpan DefaultHeartbeatGrace = TimeSpan.FromSeconds(30);

    /// <summary>The study's processes stop once this many of its trials failed in a row (<see cref="FailureStreak"/>).</summary>
    public int MaxConsecutiveFailures { get; init; } = Config.BudgetConfig.DefaultMaxConsecutiveFailures;

    /// <summary>How often a trial whose process died (stale heartbeat, interruption) is queued again.</summary>
    public int MaxRetries { get; init; } = 2;

    /// <summary>
    /// The storage as an Optuna client opens it (<c>sqlite:////abs/study.db</c>; PostgreSQL without its password), for the
    /// Python line a wait for another client's trial gives; null: the line says <c>URL</c>.
    /// </summary>
    public string? OptunaStorage { get; init; }
}

/// <summary>The dataset part of a worker spec. <see cref="SplitSeed"/>: which images are held out for validation
/// (null = the study's seed).</summary>
public sealed record TrialDataSettings(string Dataset, string Directory, int Validation, int? TrainSubset, int? SplitSeed = null);

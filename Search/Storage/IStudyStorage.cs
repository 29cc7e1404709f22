using Mnist.Search.Space;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Storage;

/// <summary>
/// The single source of truth of a study (Optuna's <c>BaseStorage</c>): the coordinator, workers on
/// other machines and the query commands talk only through it, so any process can resume a study.
/// </summary>
/// <remarks>
/// Contract: snapshots returned never change after they are returned; a finished trial (COMPLETE,
/// PRUNED, FAIL) is read-only — attempts to change it return false or throw
/// <see cref="InvalidOperationException"/>; a WAITING trial may only change state (to RUNNING).
/// Trial numbers are unique and dense per study (0, 1, 2, ...). Every multi-row change happens in one
/// transaction. Implementations are safe to call from several threads and several processes.
/// </remarks>
public interface IStudyStorage : IAsyncDisposable
{
    /// <summary>
    /// Creates the study with <paramref name="systemAttrs"/> in one transaction (no process ever sees it without them),
    /// or returns the existing one of that name (<c>created</c> false), whose attributes are left as they are.
    /// </summary>
    Task<(StudyInfo Study, bool Created)> CreateStudyAsync(
        string name, StudyDirection direction, IReadOnlyDictionary<string, object?>? systemAttrs = null, CancellationToken ct = default);

    /// <summary>
    /// How long ago this storage last saw the database fail and retried (a server restart, a lock held past the busy
    /// timeout); null if never. Right after an outage every process's heartbeats are old: a sweep must wait.
    /// </summary>
    TimeSpan? SinceLastOutage { get; }

    /// <summary>The study called <paramref name="name"/>, or null.</summary>
    Task<StudyInfo?> GetStudyAsync(string name, CancellationToken ct = default);

    Task<IReadOnlyList<StudyInfo>> GetAllStudiesAsync(CancellationToken ct = default);

    /// <summary>
    /// Deletes the study and everything stored with it (trials, their values, parameters, attributes, heartbeats) in one
    /// transaction, as Optuna's <c>delete_study</c> does; returns the number of its trials. With RUNNING trials (another
    /// process runs it) nothing is deleted and null returned unless <paramref name="evenIfRunning"/>: then those
    /// processes end with <see cref="StudyDeletedException"/>. Throws <see cref="RowNotFoundException"/> when there is no such study.
    /// </summary>
    Task<int?> DeleteStudyAsync(int studyId, bool evenIfRunning = false, CancellationToken ct = default);

    /// <summary>
    /// Sets a study user attribute (Optuna's <c>set_study_user_attr(key, value)</c>). <paramref name="value"/> is
    /// a plain value (string, number, bool, list, <c>JsonNode</c>); storage serializes it, so callers never
    /// build JSON by hand. Throws <see cref="ArgumentException"/> for a value JSON cannot hold (NaN).
    /// </summary>
    Task SetStudyUserAttrAsync(int studyId, string key, object? value, CancellationToken ct = default);

    /// <summary>Sets a study system attribute; <paramref name="value"/> as in <see cref="SetStudyUserAttrAsync"/>.</summary>
    Task SetStudySystemAttrAsync(int studyId, string key, object? value, CancellationToken ct = default);

    /// <summary>
    /// Sets a study system attribute only if its current value is <paramref name="expectedJson"/> (null: absent),
    /// checked and written in one transaction; returns whether it did. Processes use it to claim a study-wide task
    /// (the final retrain) so that exactly one of them does it.
    /// </summary>
    /// <remarks><paramref name="expectedJson"/> is the stored JSON text as read back; <paramref name="value"/> as in <see cref="SetStudyUserAttrAsync"/>.</remarks>
    Task<bool> CompareAndSetStudySystemAttrAsync(int studyId, string key, string? expectedJson, object? value, CancellationToken ct = default);

    Task<IReadOnlyDictionary<string, string>> GetStudyUserAttributesAsync(int studyId, CancellationToken ct = default);

    Task<IReadOnlyDictionary<string, string>> GetStudySystemAttributesAsync(int studyId, CancellationToken ct = default);

    /// <summary>
    /// Creates a trial with the next number, in <paramref name="state"/> (RUNNING or WAITING), with the given
    /// parameters (internal values) and system attributes, all in one transaction. A RUNNING trial gets its
    /// start time and a first heartbeat.
    /// </summary>
    Task<TrialSnapshot> CreateTrialAsync(
        int studyId,
        TrialState state,
        IReadOnlyDictionary<string, (ParameterDistribution Distribution, double Value)>? parameters = null,
        IReadOnlyDictionary<string, object?>? systemAttrs = null,
        CancellationToken ct = default);

    /// <summary>
    /// As <see cref="CreateTrialAsync"/>, but only if the next number is at most <paramref name="maxNumber"/>;
    /// otherwise nothing is written and null is returned. Checked inside the creating transaction, so
    /// processes racing for the last budgeted trial cannot both get it.
    /// </summary>
    Task<TrialSnapshot?> TryCreateTrialAsync(
        int studyId,
        TrialState state,
        IReadOnlyDictionary<string, (ParameterDistribution Distribution, double Value)>? parameters,
        IReadOnlyDictionary<string, object?>? systemAttrs,
        int maxNumber,
        CancellationToken ct = default);

    /// <summary>
    /// Atomically claims the oldest WAITING trial of the study (WAITING → RUNNING, start time, heartbeat);
    /// null when there is none. Two callers never claim the same trial. With <paramref name="mayClaim"/>, only when it
    /// holds for the study's trials as read in the claiming transaction (claims serialized per study): null otherwise;
    /// it is asked only when a trial is WAITING (the study is not read for it otherwise).
    /// <paramref name="systemAttrs"/> are written in the claiming transaction.
    /// </summary>
    Task<TrialSnapshot?> PopWaitingTrialAsync(
        int studyId, Func<IReadOnlyList<TrialSnapshot>, bool>? mayClaim = null,
        IReadOnlyDictionary<string, object?>? systemAttrs = null, CancellationToken ct = default);

    /// <summary>
    /// Gives a RUNNING trial the parameters it was created without (Optuna's <c>set_trial_param</c>: a trial
    /// enqueued with <c>fixed_params</c> gets its parameters when it runs), all in one transaction; returns the
    /// trial as stored. Throws <see cref="ArgumentException"/> for a value outside its distribution and
    /// <see cref="InvalidOperationException"/> when the trial is not RUNNING or already has one of the parameters.
    /// </summary>
    Task<TrialSnapshot> SetTrialParamsAsync(
        long trialId,
        IReadOnlyDictionary<string, (ParameterDistribution Distribution, double Value)> parameters,
        CancellationToken ct = default);

    /// <summary>Records the value reported at <paramref name="step"/> (an epoch); replaces an earlier one.</summary>
    Task ReportIntermediateValueAsync(long trialId, int step, double value, CancellationToken ct = default);

    /// <summary>
    /// Finishes a RUNNING trial: state, objective value (null for FAIL) and completion time, in one transaction.
    /// Returns false, changing nothing, when the trial was already finished (e.g. failed by a heartbeat sweep).
    /// </summary>
    Task<bool> FinishTrialAsync(long trialId, TrialState state, double? value, CancellationToken ct = default);

    /// <summary>Sets a user attribute of a RUNNING trial; <paramref name="value"/> as in <see cref="SetStudyUserAttrAsync"/>.</summary>
    Task SetTrialUserAttrAsync(long trialId, string key, object? value, CancellationToken ct = default);

    /// <summary>Sets a system attribute of a RUNNING trial; <paramref name="value"/> as in <see cref="SetStudyUserAttrAsync"/>.</summary>
    Task SetTrialSystemAttrAsync(long trialId, string key, object? value, CancellationToken ct = default);

    /// <summary>Records that the process running this trial is alive (Optuna's <c>trial_heartbeats</c>).</summary>
    Task RecordHeartbeatAsync(long trialId, CancellationToken ct = default);

    /// <summary>
    /// Fails a RUNNING trial, setting <paramref name="systemAttrs"/> (e.g. the fail reason) and creating the WAITING trial
    /// <paramref name="retry"/> returns for it (given the failed trial as stored; null: none) in the same transaction, so
    /// no crash leaves a failed trial without its retry. Returns both; null, changing nothing, when the trial was already
    /// finished. Throws <see cref="InvalidOperationException"/> for a WAITING trial.
    /// </summary>
    Task<FailedTrial?> FailTrialAsync(
        long trialId, IReadOnlyDictionary<string, object?>? systemAttrs, Func<TrialSnapshot, WaitingTrial?>? retry, CancellationToken ct = default);

    /// <summary>
    /// Fails every RUNNING trial of the study that a coordinator of this tool runs (it carries the
    /// <see cref="Vocabulary.StudyAttributes.Host"/> system attribute) whose last heartbeat is older than <paramref name="grace"/>
    /// (Optuna's <c>fail_stale_trials</c>; an Optuna client's trial is left to that client, whose grace is its own), each as <see cref="FailTrialAsync"/> does (attributes and retry in the same
    /// transaction — once failed, a trial is read-only); returns the trials it failed, as they are after the change.
    /// </summary>
    Task<IReadOnlyList<FailedTrial>> FailStaleTrialsAsync(
        int studyId, TimeSpan grace, IReadOnlyDictionary<string, object?>? systemAttrs = null,
        Func<TrialSnapshot, WaitingTrial?>? retry = null, CancellationToken ct = default);

    /// <summary>
    /// Claims one given WAITING trial (WAITING → RUNNING, start time, heartbeat), as <see cref="PopWaitingTrialAsync"/>
    /// does for the oldest; null when it is no longer WAITING (someone else claimed it first).
    /// </summary>
    Task<TrialSnapshot?> ClaimWaitingTrialAsync(long trialId, IReadOnlyDictionary<string, object?>? systemAttrs = null, CancellationToken ct = default);

    /// <summary>One trial by id; throws <see cref="RowNotFoundException"/> (a <see cref="KeyNotFoundException"/>) when there is none.</summary>
    Task<TrialSnapshot> GetTrialAsync(long trialId, CancellationToken ct = default);

    /// <summary>All trials of a study ordered by number, optionally only those in <paramref name="states"/>.</summary>
    Task<IReadOnlyList<TrialSnapshot>> GetAllTrialsAsync(int studyId, IReadOnlyCollection<TrialState>? states = null, CancellationToken ct = default);

    /// <summary>
    /// How long ago each RUNNING trial of the study last had a heartbeat, by the database clock (as the stale sweep judges
    /// it), keyed by trial id; a RUNNING trial with no heartbeat (an Optuna client's without heartbeats) is left out.
    /// </summary>
    Task<IReadOnlyDictionary<long, TimeSpan>> GetHeartbeatAgesAsync(int studyId, CancellationToken ct = default);
}

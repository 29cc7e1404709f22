using Mnist.Search.Scheduling;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Study;

/// <summary>
/// Receives what happens in a study as it happens (progress views, tests). Called from the coordinator's
/// threads; implementations must be thread-safe and must not throw. Every member is optional.
/// </summary>
public interface IStudyObserver
{
    /// <summary>A trial started on a device.</summary>
    void TrialStarted(TrialSnapshot trial, DeviceSlot device) { }

    /// <summary>A running trial reported an epoch's objective value.</summary>
    void EpochReported(TrialSnapshot trial, int epoch, double value) { }

    /// <summary>A trial ended (COMPLETE, PRUNED or FAIL), as stored.</summary>
    void TrialFinished(TrialSnapshot trial) { }

    /// <summary>
    /// The coordinator read the study from storage (every turn of its loop, and once at the end): all its trials, by
    /// any process or tool, and its stored budget of trials, which another process may have changed.
    /// </summary>
    void StudyRead(IReadOnlyList<TrialSnapshot> trials, int budgetTotal) { }

    /// <summary>A failed trial was queued again as <paramref name="retry"/> (told before its <see cref="TrialFinished"/>).</summary>
    void TrialQueuedAgain(TrialSnapshot failed, TrialSnapshot retry) { }
}

/// <summary>Observes nothing.</summary>
public sealed class NullStudyObserver : IStudyObserver
{
    public static readonly NullStudyObserver Instance = new();
}

using Mnist.Search.Study;
using Mnist.Search.Vocabulary;
using Serilog.Events;

namespace Mnist.Search.Cli;

/// <summary>
/// How a study run ended, as its exit code (README's table) and the log lines that say why: a pure function of the
/// trials, the budget and the run, so the most README-visible fact is tested without spawning processes (code audit 4).
/// <see cref="MayRetrain"/>: the run succeeded, and the best trial may be retrained.
/// </summary>
internal sealed record StudyOutcome(int ExitCode, IReadOnlyList<StudyOutcome.Notice> Notices)
{
    /// <summary>A line for the study's log, as a Serilog template and its values (study.log renders them as it did).</summary>
    public sealed record Notice(LogEventLevel Level, string Template, params object?[] Args);

    /// <summary>The commands the lines tell the user to run: <c>StudyArgs</c> for `trials list`, <c>WorkerAgain</c> for an interrupted worker.</summary>
    public sealed record Hints(string StudyArgs, string WorkerAgain, string PasswordNote);

    public bool MayRetrain => ExitCode == ExitCodes.Ok;

    /// <param name="abandonedTrials">Other clients' trials this process stopped waiting for (UntrackedTrials): no timeout ended it then.</param>
    public static StudyOutcome Classify(IReadOnlyList<TrialSnapshot> trials, Budget budget, bool interrupted, bool isJoiningWorker,
        int abandonedTrials, Hints hints)
    {
        if (interrupted && isJoiningWorker)
            return new(ExitCodes.Interrupted, [new(LogEventLevel.Warning, "Interrupted: {Used}/{Total} trials done; {Again}", budget.Used, budget.Total, hints.WorkerAgain)]);
        if (interrupted)
        {
            // `study resume` runs the configuration stored in the study: edits to the file apply through the same
            // command, which was not said (a user raised budget.trials in the file and resumed; nothing changed).
            return new(ExitCodes.Interrupted, [new(LogEventLevel.Warning,
                "Interrupted: {Used}/{Total} trials done; run the same command again to continue (`study resume {StudyArgs}` continues with the configuration stored in the study, without edits made to the file since){PasswordNote}",
                budget.Used, budget.Total, hints.StudyArgs, hints.PasswordNote)]);
        }
        var notices = new List<Notice>();
        // A process that stopped waiting for other clients' abandoned trials said so (UntrackedTrials); no timeout ended it.
        if (!budget.IsSpent && abandonedTrials == 0)
            notices.Add(new(LogEventLevel.Warning, "Stopped with {Used}/{Total} trials done (study timeout)", budget.Used, budget.Total));
        if (trials.Any(t => t.State == TrialState.FAIL) && !trials.Any(t => t.State is TrialState.COMPLETE or TrialState.PRUNED))
        {
            // Exit 0 would tell a script the search worked (issue 11); each trial's fail_reason says why it failed.
            notices.Add(new(LogEventLevel.Error, "All {Count} trials failed; see `trials list {StudyArgs} --state FAIL` and each trial's stderr{PasswordNote}",
                trials.Count, hints.StudyArgs, hints.PasswordNote));
            return new(ExitCodes.AllTrialsFailed, notices);
        }
        if (!trials.Any(t => t.State is TrialState.COMPLETE or TrialState.RUNNING or TrialState.WAITING) && trials.Any(t => t.State == TrialState.PRUNED))
        {
            // Pruned and failed trials only (full-length ones timed out, the short ones were pruned): no configuration
            // was trained to the end, so there is no best trial and no model. It exited 0 and skipped the retrain
            // without a word.
            notices.Add(new(LogEventLevel.Error, "No trial completed ({Pruned} pruned, {Failed} failed): no best trial and no model; see `trials list {StudyArgs}`",
                trials.Count(t => t.State == TrialState.PRUNED), trials.Count(t => t.State == TrialState.FAIL), hints.StudyArgs));
            return new(ExitCodes.AllTrialsFailed, notices);
        }
        return new(ExitCodes.Ok, notices);
    }
}

using Mnist.Search.Vocabulary;
using Serilog;

namespace Mnist.Search.Study;

/// <summary>
/// RUNNING trials that no coordinator of this tool runs: an Optuna client's (`ask` without `tell`, or `optimize` with
/// Optuna's heartbeat), which carry none of the host attributes a coordinator writes, so no sweep of ours fails them
/// (their heartbeat, if any, keeps that client's interval and grace, which only that client knows). Each holds its place in the
/// budget, so a study whose last places they hold waits for them with no end, and said nothing about why. Once one
/// has run longer than a trial may here, the wait is explained, once per trial; the trial is left alone: it may be
/// a client's long evaluation, and that client alone can tell its result.
/// </summary>
internal sealed class UntrackedTrials(StudySettings settings, ILogger log)
{
    private readonly HashSet<int> _told = [];

    public void Explain(IReadOnlyList<TrialSnapshot> trials)
    {
        var limit = settings.TrialTimeout + settings.HeartbeatGrace;
        foreach (var t in trials)
        {
            if (t.State != TrialState.RUNNING || t.SystemAttrs.ContainsKey(StudyAttributes.Host) || t.DatetimeStart is not { } start) continue;
            var age = DateTime.Now - start;
            if (age < limit || !_told.Add(t.Number)) continue;
            log.Warning("Waiting for trial {Trial}: RUNNING for {Minutes:0} min, longer than a trial may run here, and not started by this tool " +
                "(an Optuna client that never told its result?); tell it from that client (study.tell({Trial}, state=TrialState.FAIL)) or stop this process",
                t.Number, age.TotalMinutes, t.Number);
        }
    }
}

using System.Text.Json.Nodes;
using Mnist.Protocol.Events;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Study;

/// <summary>
/// What supervising one trial has seen, kept in memory as well as in storage: when another process fails
/// the trial meanwhile (a heartbeat sweep while this coordinator was stopped), storage refuses further
/// writes, and this is what lets the finished result still be recorded on the trial's retry.
/// </summary>
internal sealed class TrialProgress(TrialSnapshot trial)
{
    public TrialSnapshot Trial { get; } = trial;

    /// <summary>The epoch events as stored (checked and trimmed), in order.</summary>
    public JsonArray Epochs { get; } = new();

    /// <summary>The objective value per epoch.</summary>
    public SortedDictionary<int, double> Values { get; } = new();

    /// <summary>The last epoch whose value is in storage (epochs that came while the database was down wait).</summary>
    public int RecordedThrough { get; set; } = int.MinValue;

    public WorkerEvent.Result? Result { get; set; }

    public TimeSpan Elapsed { get; set; }

    /// <summary>Another client (not a process of this tool) finished the trial, and that was said.</summary>
    public bool FinishedByAnotherClient { get; set; }

    /// <summary>Stops the trial's worker (set while it is supervised).</summary>
    public Action? StopWorker { get; set; }

    /// <summary>Storage says another process finished the trial: nothing more is written to it.</summary>
    public bool Lost { get; set; }
}

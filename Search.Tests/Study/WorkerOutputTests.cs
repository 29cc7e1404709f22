using System.Text.Json;
using Mnist.Search.Study;
using Mnist.Search.Vocabulary;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Tests.Support.Scheduling;
using Mnist.Search.Tests.Support.Workers;
using Serilog.Events;

namespace Mnist.Search.Tests.Study;

/// <summary>
/// What a worker prints is checked before it is believed, capped before it is stored and sanitized before it
/// is shown; a worker's leftovers cannot outlive the trial timeout (issue 11, items 7 and 10). Real coordinator,
/// real SQLite, real bash workers.
/// </summary>
public sealed class WorkerOutputTests
{
    private const string Start = """echo '{"event":"start","config":{}}'""";

    private static async Task<TrialSnapshot> RunOneTrialAsync(string script, TimeSpan? trialTimeout = null)
    {
        var worker = new FakeWorker { Directory = "", Epochs = 2, Custom = { [0] = script } };
        await using var h = await CoordinatorHarness.CreateAsync(trials: 1, worker,
            s => s with { TrialTimeout = trialTimeout ?? TimeSpan.FromSeconds(30) });
        var (_, trials) = await h.RunAsync(CoordinatorHarness.Cpu()).WaitAsync(TimeSpan.FromSeconds(60));
        return Assert.Single(trials);
    }

    private static string Reason(TrialSnapshot t) => JsonSerializer.Deserialize<string>(t.SystemAttrs[StudyAttributes.FailReason])!;

    [Theory]
    [InlineData("""{"event":"epoch","epoch":1,"train_loss":0.5,"val_accuracy":NaN}""", "not valid JSON")]
    [InlineData("""{"event":"epoch","epoch":1,"train_loss":0.5,"val_accuracy":5.0}""", "val_accuracy 5 is outside [0, 1]")]
    [InlineData("""{"event":"epoch","epoch":1,"train_loss":0.5,"val_accuracy":0.9,"val_loss":-3}""", "val_loss -3 is negative")]
    [InlineData("""{"event":"epoch","epoch":-1,"train_loss":0.5,"val_accuracy":0.9}""", "epoch -1 is outside 1..2")]
    [InlineData("""{"event":"epoch","epoch":"one","train_loss":0.5,"val_accuracy":0.9}""", "without an integer")]
    [InlineData("""{"event":"epoch","epoch":1,"train_loss":null,"val_accuracy":0.9}""", "non-finite train_loss at epoch 1")]
    [InlineData("""{"event":"epoch","epoch":1,"train_loss":0.5,"val_accuracy":null}""", "non-finite val_accuracy at epoch 1")]
    [InlineData("""{"event":"epoch","epoch":1,"train_loss":0.5}""", "epoch 1 has no val_accuracy")]
    public async Task AnEpochLineThatCannotBeBelievedFailsTheTrialEvenIfAResultFollows(string epochLine, string reason)
    {
        // Given a worker that prints a bad epoch line, then a good epoch and a complete result, and exits 0
        var script = $$"""
            {{Start}}
            echo '{{epochLine}}'
            echo '{"event":"epoch","epoch":2,"train_loss":0.5,"val_accuracy":0.9}'
            echo '{"event":"result","state":"complete","val_accuracy":0.9}'
            exit 0
            """;

        // When the coordinator runs it
        var trial = await RunOneTrialAsync(script);

        // Then the trial is FAIL, the reason names the problem, and no value was recorded
        Assert.Equal(TrialState.FAIL, trial.State);
        Assert.Contains(reason, Reason(trial));
        Assert.Null(trial.Value);
    }

    [Theory]
    [InlineData("""{"event": "epoch", "epoch": 1, "train_loss": 0.5, "val_accuracy": NaN}""", "NaN", "val_accuracy")]
    [InlineData("""{"event": "epoch", "epoch": 1, "train_loss": Infinity, "val_accuracy": 0.5}""", "Infinity", "train_loss")]
    [InlineData("""{"event": "epoch", "epoch": 1, "train_loss": -Infinity, "val_accuracy": 0.5}""", "-Infinity", "train_loss")]
    public async Task ABareNonFiniteNumberAsPythonWritesItIsSaidAsSuchWithItsField(string epochLine, string token, string field)
    {
        // Given a worker that prints an epoch as Python's json.dumps writes a diverged metric (with its spaces)
        var trial = await RunOneTrialAsync($$"""
            {{Start}}
            echo '{{epochLine}}'
            echo '{"event":"result","state":"complete","val_accuracy":0.9}'
            exit 0
            """);

        // Then the reason names the token, its field and the fix (it was "'N' is an invalid start of a value. LineNumber: 0 |
        // BytePositionInLine: 113")
        Assert.Equal(TrialState.FAIL, trial.State);
        Assert.Equal($"the worker broke the protocol on stdout: not valid JSON: non-finite number (bare {token}) after \"{field}\": JSON has no NaN or Infinity; " +
            "write null (Python's json.dumps writes NaN and Infinity unless given allow_nan=False: map them to None)", Reason(trial));
    }

    [Theory]
    [InlineData(1, 0.99, "epoch 1 reported twice")]
    [InlineData(2, 0.99, "epoch 1 reported after epoch 2 (epochs are reported in order)")]
    public async Task ARepeatedOrEarlierEpochFailsTheTrial(int before, double repeated, string reason)
    {
        // Given a 2-epoch study and a worker that reports epoch 1 (and 2) and then epoch 1 again with another value
        var epochs = string.Join("\n", Enumerable.Range(1, before).Select(n => $$"""echo '{"event":"epoch","epoch":{{n}},"train_loss":0.5,"val_accuracy":0.{{n}}}'"""));
        var script = $$"""
            {{Start}}
            {{epochs}}
            echo '{"event":"epoch","epoch":1,"train_loss":0.5,"val_accuracy":{{repeated.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}'
            echo '{"event":"epoch","epoch":2,"train_loss":0.5,"val_accuracy":0.2}'
            echo '{"event":"result","state":"complete","val_accuracy":0.2}'
            exit 0
            """;

        // When the coordinator runs it
        var trial = await RunOneTrialAsync(script);

        // Then the trial fails as a protocol violation (both records were kept, the intermediate value the first)
        Assert.Equal(TrialState.FAIL, trial.State);
        Assert.Equal(reason, Reason(trial));
        Assert.Null(trial.Value);
    }

    [Theory]
    [InlineData("", "result complete after 0 of 2 epochs (no epoch event with its val_accuracy)")]
    [InlineData("""{"event":"epoch","epoch":1,"train_loss":0.5,"val_accuracy":0.6}""", "result complete after 1 of 2 epochs")]
    public async Task ACompleteResultBeforeThePlannedEpochsFailsTheTrial(string epochLine, string reason)
    {
        // Given a 2-epoch study and a worker that says complete (with its own val_accuracy 0.99) after fewer epochs, and
        // no max_seconds cut (epochs_planned)
        var trial = await RunOneTrialAsync($$"""
            {{Start}}
            echo '{{epochLine}}'
            echo '{"event":"result","state":"complete","val_accuracy":0.99}'
            exit 0
            """);

        // Then the trial fails as a protocol violation (it was COMPLETE 0.99: the study's best, and its retrain target)
        Assert.Equal(TrialState.FAIL, trial.State);
        Assert.Equal(reason, Reason(trial));
        Assert.Null(trial.Value);
    }

    [Fact]
    public async Task ACompleteResultAfterTheEpochsTheWorkerPlannedIsBelieved()
    {
        // Given a worker whose time budget (max_seconds) cut its 2 epochs to 1: it says so in epochs_planned
        var trial = await RunOneTrialAsync($$"""
            {{Start}}
            echo '{"event":"epoch","epoch":1,"train_loss":0.5,"val_accuracy":0.6,"epochs_planned":1}'
            echo '{"event":"result","state":"complete","val_accuracy":0.6,"epochs_run":1}'
            exit 0
            """);

        // Then the trial is COMPLETE with its epoch's value
        Assert.True(trial.State == TrialState.COMPLETE, trial.SystemAttrs.GetValueOrDefault(StudyAttributes.FailReason));
        Assert.Equal(0.6, trial.Value!.Value, 6);
    }

    [Fact]
    public async Task EpochsWithoutATrainingLossAreBelievedForOnlyTheObjectiveIsRequired()
    {
        // Given a custom worker whose epoch events carry the objective and no train_loss (docs/worker-protocol.md
        // requires only the objective)
        var script = $$"""
            {{Start}}
            echo '{"event":"epoch","epoch":1,"val_accuracy":0.8}'
            echo '{"event":"epoch","epoch":2,"val_accuracy":0.9}'
            echo '{"event":"result","state":"complete","val_accuracy":0.9}'
            exit 0
            """;

        // When the coordinator runs it
        var trial = await RunOneTrialAsync(script);

        // Then the trial is COMPLETE with its value and both epochs (it was FAIL "non-finite val_accuracy or train_loss")
        Assert.True(trial.State == TrialState.COMPLETE, trial.SystemAttrs.GetValueOrDefault(StudyAttributes.FailReason));
        Assert.Equal(0.9, trial.Value!.Value, 6);
        Assert.Equal([0.8, 0.9], trial.IntermediateValues.OrderBy(v => v.Key).Select(v => v.Value));
    }

    [Fact]
    public async Task AWorkerThatRefusedOneDnnIsSaidInTheStudyLogWithItsReason()
    {
        // Given a worker whose start event says it was asked for oneDNN and refused it (what Trials prints when its check
        // finds oneDNN computing the network wrong)
        var worker = new FakeWorker
        {
            Directory = "", Epochs = 1,
            Custom =
            {
                [0] = """
                    echo '{"event":"start","config":{},"onednn":false,"onednn_refused":"the gradient of features.conv1.weight differs by 16 % at batch size 64"}'
                    echo '{"event":"epoch","epoch":1,"train_loss":0.5,"val_accuracy":0.9}'
                    echo '{"event":"result","state":"complete","val_accuracy":0.9}'
                    exit 0
                    """,
            },
        };
        await using var h = await CoordinatorHarness.CreateAsync(trials: 1, worker);
        var (logger, sink) = CollectingSink.Create();

        // When
        var (_, trials) = await h.RunAsync(CoordinatorHarness.Cpu(), log: logger).WaitAsync(TimeSpan.FromSeconds(60));

        // Then the trial counts, and the warning names it and the reason
        Assert.Equal(TrialState.COMPLETE, Assert.Single(trials).State);
        Assert.Contains(sink.Messages(LogEventLevel.Warning), m =>
            m.StartsWith("Trial 0: the worker was asked for oneDNN but trains on libtorch's own kernels: ") &&
            m.Contains("features.conv1.weight differs by 16 % at batch size 64"));
    }

    [Fact]
    public async Task AResultOutsideTheMetricsRangeIsNotABestValue()
    {
        // Given a worker whose only value is a result val_accuracy of 5.0
        var trial = await RunOneTrialAsync($$"""
            {{Start}}
            echo '{"event":"result","state":"complete","val_accuracy":5.0}'
            exit 0
            """);

        Assert.Equal(TrialState.FAIL, trial.State);
        Assert.Contains("outside [0, 1]", Reason(trial));
    }

    [Fact]
    public async Task ALineWithoutEndFailsTheTrialAtTheCapInsteadOfFillingMemory()
    {
        // Given a worker that prints 20 MB without a newline, then hangs
        var trial = await RunOneTrialAsync($$"""
            {{Start}}
            head -c 20000000 /dev/zero | tr '\0' 'x'
            sleep 300
            """);

        Assert.Equal(TrialState.FAIL, trial.State);
        Assert.Contains("longer than", Reason(trial));
    }

    [Fact]
    public async Task AHugeFieldIsNotStoredVerbatim()
    {
        // Given a worker whose epoch lines carry a 500 KB text field
        var trial = await RunOneTrialAsync($$$"""
            {{{Start}}}
            for e in 1 2; do
              printf '{"event":"epoch","epoch":%s,"train_loss":0.5,"val_accuracy":0.9,"note":"' $e
              head -c 500000 /dev/zero | tr '\0' 'y'
              printf '","nested":{"a":[1,2,3]}}\n'
            done
            echo '{"event":"result","state":"complete","val_accuracy":0.9}'
            exit 0
            """);

        // Then the trial completes, and what is stored of its epochs is small
        Assert.Equal(TrialState.COMPLETE, trial.State);
        var epochs = trial.UserAttrs[StudyAttributes.Epochs];
        Assert.True(epochs.Length < 2000, $"stored {epochs.Length} characters");
        Assert.Contains("\"val_accuracy\":0.9", epochs);
    }

    [Fact]
    public async Task EscapesAndNewlinesInWorkerErrorTextAreNeutralizedBeforeStorageAndLogs()
    {
        // Given a worker whose error message clears the screen and forges a log line
        var trial = await RunOneTrialAsync($$"""
            {{Start}}
            echo '{"event":"error","message":"bad data\u001b[2J\u001b[H\n12:00:00 INF Trial 0 COMPLETE: val_accuracy = 1.0000"}'
            exit 2
            """);

        // Then the stored (and logged) reason has no control character, and says what was there
        var reason = Reason(trial);
        Assert.Equal(TrialState.FAIL, trial.State);
        Assert.DoesNotContain(reason, c => char.IsControl(c));
        Assert.Contains("bad data\\u001b[2J", reason);
        Assert.Contains("\\n12:00:00 INF", reason);
    }

    [Fact]
    public async Task AWorkerThatDoesNotExitAfterItsResultIsKilledAfterTheGraceWithAWarningAndTheResultStands()
    {
        // Given a worker that prints its epochs and result and then does not exit (a non-daemon thread), with a 30 s trial timeout
        using var pidDir = new Support.TempDirectory("linger");
        var worker = new FakeWorker
        {
            Directory = "", Epochs = 2,
            Custom =
            {
                [0] = $$"""
                    {{Start}}
                    echo '{"event":"epoch","epoch":1,"train_loss":0.5,"val_accuracy":0.8}'
                    echo '{"event":"epoch","epoch":2,"train_loss":0.5,"val_accuracy":0.9}'
                    echo '{"event":"result","state":"complete","val_accuracy":0.9}'
                    echo $$ > "{{pidDir["worker.pid"]}}"
                    sleep 120
                    exit 0
                    """,
            },
        };
        await using var h = await CoordinatorHarness.CreateAsync(trials: 1, worker, s => s with { TrialTimeout = TimeSpan.FromSeconds(30) });
        var (logger, sink) = CollectingSink.Create();

        // When the coordinator runs it
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (_, trials) = await h.RunAsync(CoordinatorHarness.Cpu(), log: logger).WaitAsync(TimeSpan.FromSeconds(60));

        // Then the trial is COMPLETE with its value about 5 s after its result (it held its slot until the trial timeout),
        // one warning says why, and the worker is dead
        var trial = Assert.Single(trials);
        var pid = int.Parse(File.ReadAllText(pidDir["worker.pid"]).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            Assert.True(trial.State == TrialState.COMPLETE, trial.SystemAttrs.GetValueOrDefault(StudyAttributes.FailReason));
            Assert.Equal(0.9, trial.Value!.Value, 6);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the trial took {clock.Elapsed}");
            Assert.Single(sink.Messages(LogEventLevel.Warning), m => m == "Trial 0: its worker did not exit within 5 s of its result (or of a stop after it); killed it and its process group, the result stands");
            Assert.True(await ProcessProbe.WaitGoneAsync(pid, TimeSpan.FromSeconds(5)), $"worker {pid} outlived its trial");
        }
        finally
        {
            Support.Faults.Signals.SendToGroup(pid, Support.Faults.UnixSignal.Kill);
        }
    }

    [Fact]
    public async Task AGrandchildHoldingStdoutDoesNotKeepATrialAlivePastItsTimeout()
    {
        // Given a worker that leaves a reparented sleeper holding its stdout and then hangs, with a 2 s trial timeout
        using var pidDir = new Support.TempDirectory("orphan");
        var trial = await RunOneTrialAsync($$"""
            {{Start}}
            sh -c 'sleep 300 & echo $! > "{{pidDir["orphan.pid"]}}"'
            echo '{"event":"epoch","epoch":1,"train_loss":0.5,"val_accuracy":0.9}'
            exec sleep 300
            """, trialTimeout: TimeSpan.FromSeconds(2));

        // Then the trial is FAIL on its timeout (it used to wait for the sleeper), and the sleeper is dead
        Assert.Equal(TrialState.FAIL, trial.State);
        Assert.Contains("timed out", Reason(trial));
        var orphan = int.Parse(File.ReadAllText(pidDir["orphan.pid"]).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(await ProcessProbe.WaitGoneAsync(orphan, TimeSpan.FromSeconds(5)), $"sleeper {orphan} outlived its trial");
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Mnist.Search.Space;
using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// `trials list` and `trials show` on the trials another client may write into a study (written here through the
/// storage, as an Optuna client writes them): a PRUNED trial with a high partial score, a finished trial that had been
/// enqueued with values the study does not search, a trial with intermediate values but none of this tool's epoch
/// records, a queued retry.
/// </summary>
public sealed class TrialViewsCliTests : IClassFixture<TrialViewsCliTests.Study>
{
    private readonly Study _study;

    public TrialViewsCliTests(Study study) => _study = study;

    public sealed class Study : IAsyncLifetime
    {
        private readonly TempDirectory _dir = new("cli-trial-views");

        public string Path => _dir.Path;

        public async Task InitializeAsync()
        {
            var worker = new FakeWorker { Directory = _dir["worker"], Epochs = 2 }.Write();
            var create = await SearchCli.RunAsync(Path, "study", "create", StudyFiles.WriteConfig(Path, worker, trials: 5, name: "v"));
            Assert.True(create.ExitCode == 0, create.Stderr);
            await using var storage = await StorageFactory.OpenAsync("sqlite:" + _dir["studies/v/study.db"], Path);
            var study = (await storage.GetStudyAsync("v"))!;
            var rate = new FloatDistribution(1e-4, 1e-2, Log: true);
            async Task Finished(TrialState state, double value, IReadOnlyDictionary<string, object?>? attrs = null)
            {
                var t = await storage.CreateTrialAsync(study.Id, TrialState.RUNNING, new Dictionary<string, (ParameterDistribution, double)> { ["learning_rate"] = (rate, 0.001) }, attrs);
                await storage.ReportIntermediateValueAsync(t.Id, 1, value);
                await storage.FinishTrialAsync(t.Id, state, value);
            }
            // 0: COMPLETE 0.90; 1: PRUNED at 0.99 after one epoch; 2: COMPLETE 0.95, enqueued with a value for momentum
            // (not searched) and one for learning_rate; 3: a queued retry of trial 1, with the values it will run with
            await Finished(TrialState.COMPLETE, 0.90);
            await Finished(TrialState.PRUNED, 0.99);
            await Finished(TrialState.COMPLETE, 0.95, new Dictionary<string, object?>
            {
                [StudyAttributes.FixedParams] = EnqueuedConfiguration.ToAttribute(new Dictionary<string, object?> { ["learning_rate"] = 0.5, ["momentum"] = 0.3 }),
            });
            await storage.CreateTrialAsync(study.Id, TrialState.WAITING, null, new Dictionary<string, object?>
            {
                [StudyAttributes.RetryOf] = 1,
                [StudyAttributes.FixedParams] = EnqueuedConfiguration.ToAttribute(new Dictionary<string, object?> { ["batch_size"] = 128L }),
            });
        }

        public Task DisposeAsync()
        {
            _dir.Dispose();
            return Task.CompletedTask;
        }
    }

    private async Task<string> RunAsync(params string[] args)
    {
        var r = await SearchCli.RunAsync(_study.Path, args);
        Assert.True(r.ExitCode == 0, $"{string.Join(' ', args)}: exit {r.ExitCode}: {r.Stderr}");
        return r.Stdout;
    }

    [Fact]
    public async Task TopRanksTheCompleteTrialsAsStudyBestDoesBeforeAPrunedTrialsPartialScore()
    {
        // When the best trials are listed, and the study's best is asked for
        var top = JsonNode.Parse(await RunAsync("trials", "list", "v", "--top", "2", "--format", "json"))!.AsArray();
        var sorted = JsonNode.Parse(await RunAsync("trials", "list", "v", "--sort", "value", "--format", "json"))!.AsArray();
        var best = JsonNode.Parse(await RunAsync("study", "best", "v", "--format", "json"))!;

        // Then the COMPLETE trials come first (trial 1's 0.99 is one epoch's, PRUNED: it came first, and `--top 1` named
        // another trial than `study best`), then the pruned one, then the one with no value
        Assert.Equal([2, 0], top.Select(t => (int)t!["number"]!));
        Assert.Equal([2, 0, 1, 3], sorted.Select(t => (int)t!["number"]!));
        Assert.Equal(2, (int)best["number"]!);
    }

    [Fact]
    public async Task AFinishedTrialShowsTheParametersItRanWithNotWhatItWasEnqueuedWith()
    {
        // When the trials are listed as CSV
        var lines = (await RunAsync("trials", "list", "v", "--format", "csv")).Trim().Split('\n');

        // Then no column is made of a value the study ignored, trial 2 shows the learning rate it ran with (not 0.5, which
        // it was enqueued with), and the queued retry shows the value it will run with
        Assert.Equal("number,state,value,epochs_done,duration_s,device,conv1_channels,learning_rate,batch_size,error", lines[0]);
        Assert.StartsWith("2,COMPLETE,0.95,1,", lines[3]);
        Assert.EndsWith(",0.001,,", lines[3]);
        Assert.StartsWith("3,WAITING,", lines[4]);
        Assert.EndsWith(",,128,", lines[4]);
    }

    [Fact]
    public async Task ShowGivesTheCurveOfATrialWithoutEpochRecordsAndTheQueuedValuesOfAWaitingOne()
    {
        // When a trial with intermediate values but no epoch records, and the queued retry, are shown
        var curve = await RunAsync("trials", "show", "v", "0");
        var queued = await RunAsync("trials", "show", "v", "3");
        var json = JsonNode.Parse(await RunAsync("trials", "show", "v", "3", "--format", "json"))!;

        // Then the first has its curve (the table had none), the second the values it will run with (its Parameters
        // table was empty), and the trial it retries is a number, as every trial number
        Assert.Contains("Intermediate values", curve);
        Assert.Contains(curve.Split('\n'), l => l.Contains(" 1 ") && l.Contains(" 0.9 "));
        Assert.Contains(queued.Split('\n'), l => l.Contains("batch_size (queued)") && l.Contains(" 128 "));
        // and, as trials list gives it, JSON's params holds the value it will run with (they were {} here)
        Assert.Equal(128, (int)json["params"]!["batch_size"]!);
        var listed = JsonNode.Parse(await RunAsync("trials", "list", "v", "--format", "json"))!.AsArray().Single(t => (int)t!["number"]! == 3)!;
        Assert.Equal(listed["params"]!.ToJsonString(), json["params"]!.ToJsonString());
        Assert.Equal(JsonValueKind.Number, json["retry_of"]!.GetValueKind());
        Assert.Equal(1, (int)json["retry_of"]!);
    }
}

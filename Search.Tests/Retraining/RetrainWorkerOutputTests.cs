using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Retraining;

/// <summary>
/// What a retrain worker (another program, <c>worker.command</c>) writes is checked as the rest of its output is: a
/// <c>metrics.json</c> that is not the protocol's, or a result without <c>test_accuracy</c>, is a failed retrain said in
/// one line (walkthrough finding 2: a stack trace, <c>best.tmp-…</c> left, no <c>retrain-failed/</c>). Real CLI processes
/// and a real worker script.
/// </summary>
public sealed class RetrainWorkerOutputTests
{
    private const string Result = """{"event":"result","state":"complete","test_accuracy":0.9,"duration_s":0.1}""";

    public static TheoryData<string, string, string> BadOutputs => new()
    {
        // metrics.json, result event, what the line says after the file's path
        { """{"accuracy": 0.9, "confusion_matrix": [[1,""", Result, "metrics.json: not valid JSON at line 1, byte " },
        { "[1, 2]", Result, "metrics.json: $: expected an object, got an array of 2" },
        { """{"confusion_matrix": [["a","b"],["c","d"],["e","f"]]}""", Result, "metrics.json: $.confusion_matrix: expected a 10×10 array of counts (rows = true class, columns = predicted), got 3 rows" },
        { """{"class_names": ["0","1"], "confusion_matrix": [[1,2],[3,"x"]]}""", Result, "metrics.json: $.confusion_matrix[1][1]: expected a 2×2 array of counts" },
        { """{"accuracy":0.9}""", """{"event":"result","state":"complete","duration_s":0.1}""", "the retrain worker's result has no test_accuracy" },
    };

    [Theory]
    [MemberData(nameof(BadOutputs))]
    public async Task ARetrainWhoseWorkerWroteWhatTheProtocolDoesNotAllowFailsInOneLineAndKeepsTheModelItHad(string metrics, string result, string said)
    {
        // Given a study with a retrained model, whose worker now writes a bad metrics.json (or result) when it retrains
        using var dir = new TempDirectory("retrain-output");
        var good = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, good, trials: 1, tweak: c => c["retrain"]!["enabled"] = true);
        var start = await SearchCli.RunAsync(dir.Path, "study", "start", config);
        Assert.True(start.ExitCode == 0, start.Stderr);
        var model = File.ReadAllBytes(dir["studies/cli-study/best/retrain.json"]);
        new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01, RetrainMetrics = metrics, RetrainResult = result }.Write();

        // When it is retrained
        var run = await SearchCli.RunAsync(dir.Path, "study", "retrain", "cli-study");

        // Then the command fails as a failed retrain does (exit 1), in one line naming the file and what is wrong in it,
        // no partial folder is left, the logs are kept, and best/ is the model it was
        Assert.True(run.ExitCode == 1, $"exit {run.ExitCode}: {run.Stderr}");
        Assert.DoesNotContain("   at ", run.Stderr);
        var line = Assert.Single(run.Stderr.Split('\n'), l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Contains(said, line);
        if (said.StartsWith("metrics.json", StringComparison.Ordinal))
        {
            // named where it is kept
            Assert.Contains(dir["studies/cli-study/retrain-failed/metrics.json"] + ": ", line);
            Assert.Equal(metrics, File.ReadAllText(dir["studies/cli-study/retrain-failed/metrics.json"]));
        }
        Assert.Equal(["best"], Directory.GetDirectories(dir["studies/cli-study"], "best*").Select(Path.GetFileName));
        Assert.True(File.Exists(dir["studies/cli-study/retrain-failed/stdout.log"]));
        Assert.Equal(model, File.ReadAllBytes(dir["studies/cli-study/best/retrain.json"]));
    }

    [Fact]
    public async Task TheRetrainAtTheEndOfStudyStartFailsTheSameWay()
    {
        // Given a study whose worker writes a confusion matrix that is not square when it retrains
        using var dir = new TempDirectory("retrain-output-start");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01, RetrainMetrics = """{"confusion_matrix": [[1, 2], [3, 4], [5, 6]]}""" }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["retrain"]!["enabled"] = true);

        // When the study runs
        var run = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then it ends in the one line, exit 1, with no best/ and no partial folder, and the retrain's logs kept
        Assert.True(run.ExitCode == 1, $"exit {run.ExitCode}: {run.Stderr}");
        Assert.DoesNotContain("   at ", run.Stderr);
        Assert.Contains("metrics.json: $.confusion_matrix: expected a 10×10 array of counts", run.Stderr);
        Assert.Empty(Directory.GetDirectories(dir["studies/cli-study"], "best*"));
        Assert.True(File.Exists(dir["studies/cli-study/retrain-failed/spec.json"]));
    }

    [Fact]
    public async Task AMatrixSizedAsTheClassesItNamesIsDrawn()
    {
        // Given a worker whose metrics name two classes and hold their 2×2 matrix
        using var dir = new TempDirectory("retrain-output-ok");
        var worker = new FakeWorker
        {
            Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01,
            RetrainMetrics = """{"accuracy": 0.9, "class_names": ["cat", "dog"], "confusion_matrix": [[9, 1], [0, 10]]}""",
        }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["retrain"]!["enabled"] = true);

        // When the study runs, then the model is kept with its figure
        var run = await SearchCli.RunAsync(dir.Path, "study", "start", config);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.True(File.Exists(dir["studies/cli-study/best/confusion_matrix.png"]));
    }
}

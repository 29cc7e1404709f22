using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Tests.Support.Trials;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// `study export` of a study copied elsewhere (an archive, another checkout) exports the copy's own models. The
/// database records absolute model paths, of the place the study ran: export took whatever lay there, after that
/// place held a new study of the same name even that study's model (exit 0), and once it was gone refused a model
/// the copy held.
/// </summary>
public sealed class CopiedStudyExportCliTests
{
    [Fact]
    public async Task ACopiedStudyExportsItsOwnModelsNotWhatNowLiesWhereItRan()
    {
        // Given a study run in run/ with real models (FC width 16), copied to archive/
        using var dir = new TempDirectory("cli-export-copy");
        var worker = CheckpointingWorker(dir["worker"]);
        Directory.CreateDirectory(dir["run"]);
        Directory.CreateDirectory(dir["archive"]);
        await RunStudyWithRealModelsAsync(dir["run"], worker, fcWidth: 16);
        CopyFolder(dir["run/studies"], dir["archive/studies"]);

        // And a new study of the same name then run in run/ (FC width 24)
        Directory.Delete(dir["run/studies"], recursive: true);
        await RunStudyWithRealModelsAsync(dir["run"], worker, fcWidth: 24);

        // When the archived study's model and its trial 0 are exported from archive/
        var best = await SearchCli.RunAsync(dir["archive"], "study", "export", "cli-study", "--out", dir["out-best"]);
        var trial = await SearchCli.RunAsync(dir["archive"], "study", "export", "cli-study", "--trial", "0", "--out", dir["out-trial"]);

        // Then both are the archived study's own (FC width 16), not the new study's
        Assert.True(best.ExitCode == 0, best.Stderr);
        Assert.True(trial.ExitCode == 0, trial.Stderr);
        Assert.Equal(16, FcWidth(dir["out-best"]));
        Assert.Equal(16, FcWidth(dir["out-trial"]));
        // And each sidecar says which model it is: trial 0 is not the best trial (trial 1 is), the best is retrained
        Assert.Equal("not retrained: trial 0's own checkpoint, trained on the search subset only", Note(dir["out-trial"]));
        Assert.Null(Note(dir["out-best"]));

        // And once the place it ran is gone, the copy still exports
        Directory.Delete(dir["run/studies"], recursive: true);
        var alone = await SearchCli.RunAsync(dir["archive"], "study", "export", "cli-study", "--trial", "0", "--out", dir["out-alone"]);
        Assert.True(alone.ExitCode == 0, alone.Stderr);
        Assert.Equal(16, FcWidth(dir["out-alone"]));
    }

    [Fact]
    public async Task WithoutTheModelFilesExportSaysWhereTheRetrainedModelAndTheCheckpointWereWritten()
    {
        // Given a retrained study whose model files are not on this machine (another machine of a shared study retrained
        // it and ran its best trial)
        using var dir = new TempDirectory("cli-export-elsewhere");
        var worker = CheckpointingWorker(dir["worker"]);
        Directory.CreateDirectory(dir["run"]);
        await RunStudyWithRealModelsAsync(dir["run"], worker, fcWidth: 16);
        var study = dir["run/studies/cli-study"];
        Directory.Move(Path.Combine(study, "best"), dir["elsewhere-best"]);
        foreach (var trial in Directory.GetDirectories(Path.Combine(study, "trials"))) File.Delete(Path.Combine(trial, "model.bin"));

        // When it is exported
        var export = await SearchCli.RunAsync(dir["run"], "study", "export", "cli-study", "--out", dir["out"]);

        // Then the one-line refusal says where the retrained model was written and on which host the checkpoint was (it
        // named only the best trial's checkpoint path)
        Assert.Equal(2, export.ExitCode);
        var line = Assert.Single(export.Stderr.Trim().Split('\n'));
        Assert.Contains($"its retrained model was written to {Path.Combine(study, "best")}, not on this machine", line);
        Assert.Contains($", written on {Environment.MachineName})", line);
    }

    [Fact]
    public async Task AMalformedMetricsFileIsNamedOnOneLine()
    {
        // Given a retrained study whose best/metrics.json was cut short
        using var dir = new TempDirectory("cli-export-metrics");
        var worker = CheckpointingWorker(dir["worker"]);
        await RunStudyWithRealModelsAsync(dir.Path, worker, fcWidth: 16);
        File.WriteAllText(dir["studies/cli-study/best/metrics.json"], """{"accuracy": 0.98, "loss": 0.1""");

        // When it is exported
        var export = await SearchCli.RunAsync(dir.Path, "study", "export", "cli-study", "--out", dir["out"]);

        // Then exit 2, one line naming the file (it was a JSON reader's stack trace, exit 1), and nothing written
        Assert.True(export.ExitCode == 2, $"exit {export.ExitCode}: {export.Stderr}");
        Assert.Contains(dir["studies/cli-study/best/metrics.json"], Assert.Single(export.Stderr.Trim().Split('\n')));
        Assert.False(Directory.Exists(dir["out"]));
    }

    // Trials that report a checkpoint in their own folder, as the real worker does (the fake one reports none).
    private static FakeWorker CheckpointingWorker(string folder)
    {
        const string body = """
            out=$(dirname "$1")
            echo 'weights' > "$out/model.bin"; echo '{}' > "$out/model.json"
            echo '{"event":"start","config":{}}'
            echo '{"event":"epoch","epoch":1,"train_loss":0.5,"val_loss":0.4,"val_accuracy":0.6,"images_per_s":1000,"elapsed_s":1}'
            echo "{\"event\":\"result\",\"state\":\"complete\",\"val_accuracy\":0.6,\"duration_s\":0.2,\"checkpoint\":\"$out/model.bin\"}"
            exit 0
            """;
        return new FakeWorker { Directory = folder, Epochs = 1, EpochSeconds = 0.01, Custom = { [0] = body, [1] = body } }.Write();
    }

    // A study of two trials with a retrain (the fake worker's junk model files), then real checkpoints of one
    // FC width in place of the junk, in best/ and in each trial's folder.
    private static async Task RunStudyWithRealModelsAsync(string cwd, FakeWorker worker, int fcWidth)
    {
        var config = StudyFiles.WriteConfig(cwd, worker, trials: 2, tweak: c => c["retrain"]!["enabled"] = true);
        var run = await SearchCli.RunAsync(cwd, "study", "start", config);
        Assert.True(run.ExitCode == 0, run.Stderr);
        var study = Path.Combine(cwd, "studies", "cli-study");
        foreach (var folder in Directory.GetDirectories(Path.Combine(study, "trials")).Append(Path.Combine(study, "best")))
        {
            Assert.True(File.Exists(Path.Combine(folder, "model.bin")), folder);
            UntrainedCheckpoint.Write(folder, fcWidth);
        }
    }

    private static string? Note(string exportFolder) =>
        (string?)JsonNode.Parse(File.ReadAllText(Path.Combine(exportFolder, "model.json")))!["export"]!["note"];

    private static int FcWidth(string exportFolder) =>
        (int)JsonNode.Parse(File.ReadAllText(Path.Combine(exportFolder, "model.json")))!["architecture"]!["fc_width"]!;

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var sub in Directory.GetDirectories(from)) CopyFolder(sub, Path.Combine(to, Path.GetFileName(sub)));
    }
}

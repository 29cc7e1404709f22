using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A study forked with Optuna's <c>copy_study</c> (the standard way to branch or back up a study) is continued by
/// <c>study resume</c>: under its new name in a new file, and under its own name in another studies folder. Both were
/// refused with advice that did not work (audit-analysis 1). A worker that joins the renamed copy from another folder
/// stores the rename alone: it stored its own folder as the configuration's source (review 1207b, 2).
/// </summary>
[Trait(Needs.Name, Needs.Optuna4)]
public sealed class OptunaCopiedStudyCliTests
{
    [Fact]
    public async Task ACopyUnderANewNameResumesUnderThatNameAndStoresIt()
    {
        // Given a study 'orig' with one trial done of a budget of two, copied by Optuna to 'fork' in copies/fork.db
        using var dir = new TempDirectory("cli-copy-rename");
        var config = await OriginalWithRoomAsync(dir);
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            optuna.copy_study(from_study_name="orig", from_storage=sys.argv[1], to_storage=sys.argv[2], to_study_name="fork")
            """, $"sqlite:///{dir["studies/orig/study.db"]}", $"sqlite:///{dir["copies/fork.db"]}");

        // When the copy is resumed by its Optuna name
        var resumed = await SearchCli.RunAsync(dir.Path, "study", "resume", "fork", "--storage", "sqlite:copies/fork.db", "--no-retrain");

        // Then it runs its last trial in a folder of its own name, says that its stored name changed, and stores the
        // Optuna name (a Python reader of the stored configuration reads 'fork'); the original's folder is untouched
        Assert.True(resumed.ExitCode == 0, resumed.Stdout + resumed.Stderr);
        Assert.Contains("study changed from orig to fork", resumed.Stdout + resumed.Stderr);
        Assert.True(Directory.Exists(dir["studies/fork/trials/1"]));
        Assert.False(Directory.Exists(dir["studies/orig/trials/1"]));
        var stored = await OptunaRunner.RunPythonAsync("""
            import sys, json, warnings, optuna
            warnings.simplefilter("ignore")
            st = optuna.load_study(study_name="fork", storage=sys.argv[1])
            print(json.loads(json.loads(st.system_attrs["mnist_search:settings"])["text"])["study"], len(st.trials), st.trials[1].state.name)
            """, $"sqlite:///{dir["copies/fork.db"]}");
        Assert.Equal("fork 2 COMPLETE", stored.Trim());
        Assert.True(File.Exists(config));
    }

    [Fact]
    public async Task AWorkerJoiningARenamedCopyFromAnotherFolderStoresTheRenameAlone()
    {
        // Given 'orig' (started in the test folder) copied by Optuna to 'fork' in copies/fork.db
        using var dir = new TempDirectory("cli-copy-worker");
        var config = await OriginalWithRoomAsync(dir);
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            optuna.copy_study(from_study_name="orig", from_storage=sys.argv[1], to_storage=sys.argv[2], to_study_name="fork")
            """, $"sqlite:///{dir["studies/orig/study.db"]}", $"sqlite:///{dir["copies/fork.db"]}");
        Directory.CreateDirectory(dir["elsewhere"]);

        // When a worker joins it from another folder
        var worker = await SearchCli.RunAsync(dir["elsewhere"], "study", "worker", "fork", "--storage", "sqlite:../copies/fork.db");

        // Then it runs the last trial there and logs the rename only (not its own folder's paths as changes), and the
        // stored configuration keeps the original file as its source, with only its study renamed
        Assert.True(worker.ExitCode == 0, worker.Stdout + worker.Stderr);
        Assert.True(Directory.Exists(dir["elsewhere/studies/fork/trials/1"]));
        Assert.Contains("study changed from orig to fork", worker.Stdout + worker.Stderr);
        Assert.DoesNotContain("dataset.dir changed", worker.Stdout + worker.Stderr);
        var stored = await OptunaRunner.RunPythonAsync("""
            import sys, json, warnings, optuna
            warnings.simplefilter("ignore")
            st = optuna.load_study(study_name="fork", storage=sys.argv[1])
            source = json.loads(st.system_attrs["mnist_search:settings"])
            print(source["source_path"])
            print(json.loads(source["text"])["study"])
            """, $"sqlite:///{dir["copies/fork.db"]}");
        Assert.Equal([config, "fork"], stored.Trim().Split('\n').Select(l => l.Trim()));
    }

    [Fact]
    public async Task ACopyUnderTheSameNameInAnotherStudiesFolderResumesThere()
    {
        // Given the same study copied by Optuna under its own name into s2/orig/study.db
        using var dir = new TempDirectory("cli-copy-folder");
        await OriginalWithRoomAsync(dir);
        Directory.CreateDirectory(dir["s2/orig"]);
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            optuna.copy_study(from_study_name="orig", from_storage=sys.argv[1], to_storage=sys.argv[2])
            """, $"sqlite:///{dir["studies/orig/study.db"]}", $"sqlite:///{dir["s2/orig/study.db"]}");

        // When it is resumed with --studies-dir s2
        var resumed = await SearchCli.RunAsync(dir.Path, "study", "resume", "orig", "--studies-dir", "s2", "--no-retrain");

        // Then it writes into s2/orig (it wrote beside the original configuration, into the original's folder, and was refused)
        Assert.True(resumed.ExitCode == 0, resumed.Stdout + resumed.Stderr);
        Assert.True(Directory.Exists(dir["s2/orig/trials/1"]));
        Assert.True(File.Exists(dir["s2/orig/study.log"]));
        Assert.False(Directory.Exists(dir["studies/orig/trials/1"]));
    }

    // A study 'orig' of one trial run, then its budget raised to two and stored by `study create`, so a copy has a place left.
    private static async Task<string> OriginalWithRoomAsync(TempDirectory dir)
    {
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, name: "orig");
        var first = await SearchCli.RunAsync(dir.Path, "study", "start", config, "--no-retrain");
        Assert.True(first.ExitCode == 0, first.Stderr);
        var json = JsonNode.Parse(File.ReadAllText(config))!;
        json["budget"]!["trials"] = 2;
        File.WriteAllText(config, json.ToJsonString());
        var raised = await SearchCli.RunAsync(dir.Path, "study", "create", config);
        Assert.True(raised.ExitCode == 0, raised.Stderr);
        Directory.CreateDirectory(dir["copies"]);
        return config;
    }
}

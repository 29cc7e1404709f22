using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Support.Cli;

/// <summary>
/// A created study (StudyFiles' space, run by the fake worker, which reports 0.5 + trial / 100) to which an Optuna 4.1
/// client then adds trials of its own: <paramref name="python"/> runs with <c>study</c> loaded (sys and optuna imported,
/// Optuna's logging quiet). Returns the configuration's path.
/// </summary>
internal static class ForeignTrials
{
    public static async Task<string> StudyAsync(TempDirectory dir, int trials, string python)
    {
        var config = StudyFiles.WriteConfig(dir.Path, new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write(), trials);
        var created = await SearchCli.RunAsync(dir.Path, "study", "create", config);
        Assert.True(created.ExitCode == 0, created.Stderr);
        await OptunaRunner.RunPythonAsync(
            "import sys, optuna\noptuna.logging.set_verbosity(optuna.logging.ERROR)\n" +
            "study = optuna.load_study(study_name=\"cli-study\", storage=sys.argv[1])\n" + python,
            $"sqlite:///{dir["studies/cli-study/study.db"]}");
        return config;
    }
}

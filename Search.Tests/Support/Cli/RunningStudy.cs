using System.Diagnostics;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Support.Cli;

/// <summary>`study start` of a cli-study of fake trials, its output being read, returned once its first trial runs.</summary>
internal sealed record RunningStudy(Process Process, string Config, Task<string> Stdout, Task<string> Stderr) : IDisposable
{
    /// <summary>Trials of four one-second epochs, so the study is still running when the test acts on it.</summary>
    public static async Task<RunningStudy> StartAsync(TempDirectory dir, int trials)
    {
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 4, EpochSeconds = 1 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials);
        var process = SearchCli.Start(dir.Path, "study", "start", config);
        var study = new RunningStudy(process, config, process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        await worker.UntilStartedAsync(process, study.Stderr);
        return study;
    }

    public void Dispose() => Process.Dispose();
}

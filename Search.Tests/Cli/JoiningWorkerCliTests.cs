using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Faults;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// `study worker` as a Slurm task or another machine runs it: what it logs on joining, the threads it gives a CPU slot,
/// where it writes, what it says when there is nothing to run and when it is interrupted.
/// </summary>
public sealed class JoiningWorkerCliTests
{
    [Fact]
    public async Task WithDevicesCpuAWorkerKeepsTheStudysThreadsPerSlot()
    {
        // Given a fresh study whose one CPU slot trains with 7 threads (a count this machine's cores are not)
        using var dir = new TempDirectory("worker-joined");
        await CreateStudyAsync(dir, trials: 1, devices: new JsonObject { ["cpu_slots"] = 1, ["threads_per_slot"] = 7 });

        // When a worker joins it on the CPU
        var run = await SearchCli.RunAsync(dir.Path, "study", "worker", "cli-study", "--storage", Storage(dir), "--devices", "cpu");

        // Then its slot has the study's 7 threads (--devices cpu dropped them: the slot took every core)
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("Devices: cpu:0 (7 threads)", run.Stderr);
    }

    [Fact]
    public async Task InASlurmTaskWithCpusPerTaskTheSlotTrainsWithTheCpusSlurmGaveIt()
    {
        // Given a study whose CPU slot asks for 7 threads
        using var dir = new TempDirectory("worker-slurm-cpus");
        await CreateStudyAsync(dir, trials: 1, devices: new JsonObject { ["cpu_slots"] = 1, ["threads_per_slot"] = 7 });

        // When a worker joins it as a Slurm task given 5 CPUs (sbatch --cpus-per-task=5 sets SLURM_CPUS_PER_TASK)
        var run = await SearchCli.RunAsync(dir.Path, new Dictionary<string, string> { ["SLURM_CPUS_PER_TASK"] = "5" },
            "study", "worker", "cli-study", "--storage", Storage(dir), "--devices", "cpu");

        // Then its trial trains with those 5 (it took every core of the node), and the log says why not 7
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("Devices: cpu:0 (5 threads)", run.Stderr);
        Assert.Contains("threads_per_slot 7 set aside: this Slurm task has 5 CPU(s)", run.Stderr);
    }

    [Fact]
    public async Task AWorkerGivenStudiesDirWritesItsLogAndTrialsThere()
    {
        // Given a study in the current folder's studies/
        using var dir = new TempDirectory("worker-studies-dir");
        await CreateStudyAsync(dir, trials: 1);

        // When a worker joins it with --studies-dir elsewhere
        var run = await SearchCli.RunAsync(dir.Path, "study", "worker", "cli-study", "--storage", Storage(dir), "--studies-dir", dir["other"]);

        // Then its study.log and trial folders are under that folder, none under the current folder's studies/
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.True(File.Exists(dir["other/cli-study/study.log"]), run.Stderr);
        Assert.True(Directory.Exists(dir["other/cli-study/trials/0"]), run.Stderr);
        Assert.False(File.Exists(dir["studies/cli-study/study.log"]));
        Assert.False(Directory.Exists(dir["studies/cli-study/trials"]));
    }

    [Fact]
    public async Task AWorkerSaysItJoinedAndWhenTheBudgetIsSpentThatThereIsNothingToRun()
    {
        // Given a fresh study of one trial, which a first worker joins and runs
        using var dir = new TempDirectory("worker-spent");
        await CreateStudyAsync(dir, trials: 1);
        var first = await SearchCli.RunAsync(dir.Path, "study", "worker", "cli-study", "--storage", Storage(dir));
        Assert.True(first.ExitCode == 0, first.Stderr);
        // (it says it joined the study; it said "resumed from ... (0 trials on record)")
        Assert.Contains("Study cli-study joined in sqlite:", first.Stderr);
        Assert.DoesNotContain("resumed", first.Stderr);
        // (and names the program it runs the trials with, which came from the database: whoever may write it may change it)
        Assert.Matches(@"INF Worker program: \S+ .*\{spec\}.* \(worker\.command of the study's configuration\)", first.Stderr);

        // When another worker joins it
        var run = await SearchCli.RunAsync(dir.Path, "study", "worker", "cli-study", "--storage", Storage(dir));

        // Then it says in one line that there is nothing to run, exit 0, and looks for no devices (it ended silently)
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Single(run.Stderr.Split('\n'), l => l.EndsWith("budget spent: 1/1 trials done; nothing to run", StringComparison.Ordinal));
        Assert.DoesNotContain("Devices:", run.Stderr);
    }

    [Theory]
    [InlineData(null, "run `study worker cli-study --storage sqlite:")]
    [InlineData("4242", "submit again to continue (`study submit cli-study --storage sqlite:")]
    public async Task AnInterruptedWorkerSaysToRunTheWorkerOrSubmitAgainNotToResume(string? slurmArrayJob, string expected)
    {
        // Given a worker running a trial of a study, by hand or as a task of Slurm array 4242
        using var dir = new TempDirectory("worker-interrupted");
        var worker = await CreateStudyAsync(dir, trials: 2, epochs: 4, epochSeconds: 1);
        var env = slurmArrayJob is null ? new Dictionary<string, string>() : new() { ["SLURM_ARRAY_JOB_ID"] = slurmArrayJob };
        using var run = SearchCli.Start(dir.Path, env, "study", "worker", "cli-study", "--storage", Storage(dir), "--devices", "cpu");
        var stderr = run.StandardError.ReadToEndAsync();
        _ = run.StandardOutput.ReadToEndAsync();
        try
        {
            await worker.UntilStartedAsync(run, stderr);

            // When it is stopped (scancel's SIGTERM)
            await Signals.StopAsync(run, UnixSignal.Term);

            // Then its hint runs the worker again, or submits again, with the storage it needs (`study resume` runs a
            // coordinator here, which retrains at the end, not the cluster's workers)
            var text = await stderr;
            Assert.True(run.ExitCode == 130, text);
            var line = Assert.Single(text.Split('\n'), l => l.Contains("Interrupted:"));
            Assert.Contains(expected, line);
            Assert.DoesNotContain("study resume", line);
            if (slurmArrayJob is not null) Assert.Contains("--slurm`, with the options of job 4242)", line);
        }
        finally
        {
            if (!run.HasExited) run.Kill(entireProcessTree: true);
        }
    }

    internal static string Storage(TempDirectory dir) => "sqlite:" + dir["studies/cli-study/study.db"];

    /// <summary>Creates `cli-study` of fake trials in its SQLite file under <paramref name="dir"/> (study create: no trial runs).</summary>
    internal static async Task<FakeWorker> CreateStudyAsync(TempDirectory dir, int trials, JsonObject? devices = null, int epochs = 1, double epochSeconds = 0.05)
    {
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = epochs, EpochSeconds = epochSeconds }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials, tweak: c => { if (devices is not null) c["devices"] = devices; });
        var created = await SearchCli.RunAsync(dir.Path, "study", "create", config);
        Assert.True(created.ExitCode == 0, created.Stderr);
        return worker;
    }
}

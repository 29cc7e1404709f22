using Mnist.Search.Study;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Tests.Support.Workers;
using Mnist.Search.Vocabulary;
using Mnist.Search.Workers;

namespace Mnist.Search.Tests.Study;

/// <summary>
/// A worker program that exists and has its x bit but cannot be executed on this machine (CRLF line endings in its #!
/// line, an interpreter the machine lacks, a noexec mount): every worker runs through setsid, so this shows only as
/// the exit code 126 or 127 of the exec, with nothing printed.
/// </summary>
public sealed class UnexecutableWorkerTests
{
    [Theory]
    [InlineData("#!/bin/bash\r\necho hi\r\n", 127)] // saved on Windows: the interpreter "/bin/bash\r" does not exist
    [InlineData("#!/\necho hi\n", 126)] // an interpreter that cannot be executed (a folder)
    public async Task AWorkerThatCannotBeExecutedStopsTheStudyWithItsTrialQueuedAgain(string script, int exit)
    {
        // Given a study of 5 trials whose worker program cannot be executed
        await using var h = await CoordinatorHarness.CreateAsync(trials: 5);
        var program = WriteProgram(Path.Combine(h.Root, "worker.sh"), script);

        // When it runs on two slots
        var error = await Assert.ThrowsAsync<WorkerStartException>(() => h.RunAsync(CoordinatorHarness.Cpu(2), command: [program, "{spec}"]));

        // Then it stops, naming the program, the exit code and what the exec said, with each trial it tried queued again
        // and no retry spent (every trial failed in turn within a second: exit 3, the budget, a shared study's too, gone)
        Assert.StartsWith($"cannot start {program}: exit code {exit}", error.Message);
        Assert.Contains("setsid: failed to execute", error.Message);
        var (study, _) = await StudyOpener.OpenAsync(h.Storage, h.Settings, "{}");
        var trials = await h.Storage.GetAllTrialsAsync(study.Id);
        var failed = trials.Where(t => t.State == TrialState.FAIL).ToList();
        Assert.InRange(failed.Count, 1, 2);
        // (the other slot's trial, if it ran, was stopped with the study: interrupted)
        Assert.Contains(failed, t => t.SystemAttrs[StudyAttributes.FailReason].Contains("worker did not start: cannot start"));
        Assert.All(failed, t => Assert.Matches("worker did not start|interrupted", t.SystemAttrs[StudyAttributes.FailReason]));
        Assert.Equal(failed.Count, trials.Count(t => t.State == TrialState.WAITING));
        Assert.All(trials, t => Assert.Equal("0", t.SystemAttrs.GetValueOrDefault(StudyAttributes.RetryCount) ?? "0"));
        Assert.Equal(0, Budget.Of(trials, 5).Used);
    }

    [Fact]
    public async Task AStudyWhoseWorkerCannotBeExecutedEndsInOneLineWithExitCodeTwo()
    {
        // Given a study whose worker.command is a script saved with CRLF line endings
        using var dir = new TempDirectory("cli-worker-crlf");
        var program = WriteProgram(dir["crlf.sh"], "#!/bin/bash\r\necho hi\r\n");
        var config = StudyFiles.WriteConfig(dir.Path, new FakeWorker { Directory = dir["worker"] }.Write(), trials: 5,
            tweak: c => c["worker"] = new System.Text.Json.Nodes.JsonObject { ["command"] = new System.Text.Json.Nodes.JsonArray(program) });

        // When the study is started
        var r = await SearchCli.RunAsync(dir.Path, "study", "start", config, "--no-retrain");

        // Then it ends with exit code 2 and one error line naming the program and why (it was exit 3, all 5 trials FAIL;
        // then setsid's "No such file or directory" alone, of a file that exists)
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.Stderr}");
        var errors = r.Stderr.Split('\n').Where(l => l.StartsWith("error: ", StringComparison.Ordinal)).ToList();
        Assert.StartsWith($"error: cannot start {program}: exit code 127; its #! line ends in a carriage return (saved with Windows line endings",
            Assert.Single(errors));
    }

    [Fact]
    public async Task AScriptWhoseInterpreterIsMissingIsSaidToBeSo()
    {
        // Given a study whose worker.command is a script naming an interpreter this machine lacks
        using var dir = new TempDirectory("cli-worker-interpreter");
        var program = WriteProgram(dir["py.sh"], "#!/opt/nowhere/python3 -u\nprint('hi')\n");
        var config = StudyFiles.WriteConfig(dir.Path, new FakeWorker { Directory = dir["worker"] }.Write(), trials: 2,
            tweak: c => c["worker"] = new System.Text.Json.Nodes.JsonObject { ["command"] = new System.Text.Json.Nodes.JsonArray(program) });

        // When the study is started
        var r = await SearchCli.RunAsync(dir.Path, "study", "start", config, "--no-retrain");

        // Then the one error line names the missing interpreter
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.StartsWith($"error: cannot start {program}: exit code 127; its #! interpreter /opt/nowhere/python3 is not on this machine",
            Assert.Single(r.Stderr.Split('\n'), l => l.StartsWith("error: ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task AMachineWhereTheTrialsWorkerCannotLoadLibTorchStopsTheStudyInOneLine()
    {
        // Given a study run by this tool's own worker, on a machine where that worker cannot load libtorch (a CPU slot;
        // data/mnist fetched, as CI does first)
        using var dir = new TempDirectory("cli-no-libtorch");
        using var worker = new WorkerWithoutLibTorch();
        var config = StudyFiles.WriteConfig(dir.Path, new FakeWorker { Directory = dir["worker"] }.Write(), trials: 5,
            tweak: c => { c.Remove("worker"); c["devices"] = "cpu"; c["dataset"]!["dir"] = Path.Combine(Repository.Root, "data", "mnist"); });
        var environment = new Dictionary<string, string>(worker.Environment) { ["MNIST_SEARCH_WORKER"] = worker.Executable };

        // When the study is started
        var r = await SearchCli.RunAsync(dir.Path, environment, "study", "start", config, "--no-retrain");

        // Then it stops with exit code 2 and one error line that says so, its trial queued again without a retry spent (every
        // trial failed in turn, exit 3: the budget gone within seconds)
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.Stderr}");
        var error = Assert.Single(r.Stderr.Split('\n'), l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.True(error.Contains("cpu:0: libtorch cannot be loaded on this machine", StringComparison.Ordinal), r.Stderr);
        await using var storage = await Mnist.Search.Storage.StorageFactory.OpenAsync("sqlite:" + dir["studies/cli-study/study.db"], dir.Path);
        var trials = await storage.GetAllTrialsAsync((await storage.GetStudyAsync("cli-study"))!.Id);
        Assert.Equal([TrialState.FAIL, TrialState.WAITING], trials.OrderBy(t => t.Number).Select(t => t.State));
        Assert.Equal(0, Budget.Of(trials, 5).Used);
    }

    // Written as given (Scripts.WriteExecutable normalizes the line endings and adds its own #! line).
    private static string WriteProgram(string path, string text)
    {
        File.WriteAllText(path, text);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}

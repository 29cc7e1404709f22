using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Trials;

namespace Mnist.Search.Tests.Trials.Protocol;

/// <summary>
/// The Trials program's own commands on paths they cannot use: one line naming the option or spec key and the path,
/// exit 2, and nothing replaced (they were .NET stack traces, exit 1; `export` renamed its file over a device node,
/// a folder or the checkpoint it read; `run` found a bad out_dir only after a whole epoch).
/// </summary>
public sealed class TrialsBadPathTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private readonly TempDirectory _dir = new("trials-bad-path");

    public void Dispose() => _dir.Dispose();

    public static IEnumerable<object[]> ExportTargets() =>
    [
        ["folder", "is a folder"],
        ["missing/x.onnx", "does not exist"],
        ["fifo", "exists and is empty, or not a regular file"],
        ["model/model.bin", "is the checkpoint being exported"],
    ];

    [Theory, MemberData(nameof(ExportTargets))]
    public async Task ExportRefusesAnOutItCannotOrMustNotReplace(string target, string expected)
    {
        // Given a real checkpoint, a folder and a named pipe standing where the export would go
        var model = Checkpoint();
        var before = File.ReadAllBytes(Path.Combine(model, "model.bin"));
        Directory.CreateDirectory(_dir["folder"]);
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [_dir["fifo"]])) mkfifo.WaitForExit();

        // When the checkpoint is exported there
        var (exit, stderr) = await TrialsAsync("export", "--model", model, "--out", _dir[target], "--format", "onnx");

        // Then exit 2, one line naming --out and why, and nothing was replaced
        Assert.True(exit == 2, $"exit {exit}: {stderr}");
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"--out {_dir[target]}: ", line);
        Assert.Contains(expected, line);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(model, "model.bin")));
        Assert.True(Directory.Exists(_dir["folder"]));
        Assert.Equal(0, new FileInfo(_dir["fifo"]).Length);
    }

    [Fact]
    public async Task PredictNamesAnImageListItCannotRead()
    {
        var (exit, stderr) = await TrialsAsync("predict", "--model", Checkpoint(), "--images-from", _dir["no-such-list"]);

        Assert.True(exit == 2, $"exit {exit}: {stderr}");
        Assert.StartsWith($"--images-from {_dir["no-such-list"]}: cannot be read", Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public async Task RunRefusesAnOutDirThatIsAFileBeforeTraining()
    {
        // Given a spec whose out_dir is a file
        File.WriteAllText(_dir["taken"], "x");
        var data = SyntheticDigits.WriteDataset(_dir["data"], trainCount: 400, testCount: 100, gzip: false);
        var spec = _dir["spec.json"];
        File.WriteAllText(spec, new JsonObject
        {
            ["epochs"] = 1, ["seed"] = 1, ["threads"] = 1, ["validation"] = 100, ["data_dir"] = data, ["out_dir"] = _dir["taken"],
            ["hyperparameters"] = new JsonObject { ["conv1_channels"] = 4, ["conv2_channels"] = 4, ["fc_width"] = 8 },
        }.ToJsonString());

        // When it runs
        using var run = WorkerRun.Start("run", "--spec", spec);
        var exit = await run.WaitForExitAsync(Timeout);

        // Then exit 2 with an error naming the spec and $.out_dir, before any epoch
        Assert.True(exit == 2, $"exit {exit}: {run.Stderr}");
        var error = Assert.Single(run.Events);
        Assert.StartsWith($"{spec}: $.out_dir: {_dir["taken"]} cannot be used as the output folder", (string?)error["message"]);
        Assert.Equal("x", File.ReadAllText(_dir["taken"]));
    }

    [Fact]
    public async Task RunRefusesAnOutOptionThatIsAFileNamingTheOption()
    {
        // Given a spec with a usable out_dir, and --out naming a file
        File.WriteAllText(_dir["taken"], "x");
        var data = SyntheticDigits.WriteDataset(_dir["data"], trainCount: 400, testCount: 100, gzip: false);
        var spec = _dir["spec.json"];
        File.WriteAllText(spec, new JsonObject
        {
            ["epochs"] = 1, ["seed"] = 1, ["threads"] = 1, ["validation"] = 100, ["data_dir"] = data, ["out_dir"] = _dir["out"],
            ["hyperparameters"] = new JsonObject { ["conv1_channels"] = 4, ["conv2_channels"] = 4, ["fc_width"] = 8 },
        }.ToJsonString());

        // When it runs with --out
        using var run = WorkerRun.Start("run", "--spec", spec, "--out", _dir["taken"]);
        var exit = await run.WaitForExitAsync(Timeout);

        // Then exit 2 with an error naming --out, not the spec's $.out_dir (which is fine and unused)
        Assert.True(exit == 2, $"exit {exit}: {run.Stderr}");
        var error = Assert.Single(run.Events);
        Assert.StartsWith($"--out: {_dir["taken"]} cannot be used as the output folder", (string?)error["message"]);
        Assert.Equal("x", File.ReadAllText(_dir["taken"]));
    }

    [Theory]
    [InlineData("fifo")]
    [InlineData("link to /dev/zero")]
    public async Task RunRefusesATrainingImageFileThatIsNotARegularFileAtOnce(string kind)
    {
        // Given a dataset whose train-images file is a named pipe nobody writes to, or a link to /dev/zero
        var data = SyntheticDigits.WriteDataset(_dir["data"], trainCount: 400, testCount: 100, gzip: false);
        var images = Path.Combine(data, "train-images-idx3-ubyte");
        File.Delete(images);
        if (kind == "fifo")
            using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [images])) mkfifo.WaitForExit();
        else File.CreateSymbolicLink(images, "/dev/zero");
        var spec = _dir["spec.json"];
        File.WriteAllText(spec, new JsonObject
        {
            ["epochs"] = 1, ["seed"] = 1, ["threads"] = 1, ["validation"] = 100, ["data_dir"] = data, ["out_dir"] = _dir["out"],
            ["hyperparameters"] = new JsonObject { ["conv1_channels"] = 4, ["conv2_channels"] = 4, ["fc_width"] = 8 },
        }.ToJsonString());

        // When it runs (the pipe blocked the worker forever in open(); /dev/zero was read until gigabytes, then exit 1
        // naming no file): the wait is bounded, and disposing the run kills a worker still blocked
        using var run = WorkerRun.Start("run", "--spec", spec);
        var exit = await run.WaitForExitAsync(TimeSpan.FromSeconds(45));

        // Then exit 2 with one error naming the file and why
        Assert.True(exit == 2, $"exit {exit}: {run.Stderr}");
        var error = Assert.Single(run.Events);
        Assert.Equal($"{images}: is empty, or not a regular file (a device, pipe or special file)", (string?)error["message"]);
    }

    // The short commands print plain lines, not events: run as a plain process.
    private static async Task<(int Exit, string Stderr)> TrialsAsync(params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(WorkerRun.ExecutablePath)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Timeout);
        await stdout;
        return (process.ExitCode, await stderr);
    }

    private string Checkpoint()
    {
        var folder = _dir["model"];
        if (File.Exists(Path.Combine(folder, "model.bin"))) return folder;
        UntrainedCheckpoint.Write(folder);
        return folder;
    }
}

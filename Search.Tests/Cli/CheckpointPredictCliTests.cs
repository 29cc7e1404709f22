using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Faults;
using Mnist.Search.Tests.Support.Onnx;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// <c>predict</c> on a checkpoint folder (no model.onnx) runs the Trials program: its answers for many images reach
/// the user whole, and it does not outlive a <c>Search</c> that was killed.
/// </summary>
public sealed class CheckpointPredictCliTests(TrainedCnns cnns) : IClassFixture<TrainedCnns>
{
    [Fact]
    public async Task AnswersForMoreThanAMebibyteOfOutputAreAllReturned()
    {
        // Given a checkpoint-only model and 400 digits in a folder whose path is ~3,000 characters long, so that the
        // answers (each names its image) come to over 1 MiB: Trials printed them as one line, which the coordinator's
        // line limit refused (exit 1, a stack trace)
        using var dir = new TempDirectory("ckpt-predict-many");
        var model = CheckpointOnly(dir);
        var folder = Path.Combine([dir.Path, .. Enumerable.Range(0, 14).Select(i => $"{i:D2}{new string('d', 200)}")]);
        var images = Digits(folder, 400);

        // When predict answers them as JSON
        var result = await SearchCli.RunAsync(dir.Path, "predict", "--model", model, "--format", "json", folder);

        // Then every image is answered, in order
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.True(result.Stdout.Length > 1 << 20, $"only {result.Stdout.Length} characters: the test no longer crosses the limit");
        var answers = JsonNode.Parse(result.Stdout)!.AsArray();
        Assert.Equal(images, answers.Select(a => (string)a!["image"]!));
        Assert.All(answers, a => Assert.InRange((int)a!["digit"]!, 0, 9));
    }

    [Fact]
    public async Task TheTrialsProcessEndsWhenSearchIsKilled()
    {
        // Given a predict over 8,000 images running in its Trials process
        using var dir = new TempDirectory("ckpt-predict-kill");
        var model = CheckpointOnly(dir);
        Digits(dir["digits"], 8000);
        await using var search = SearchCli.Watch("predict", dir.Path, 5, "predict", "--model", model, "--format", "json", dir["digits"]);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        IReadOnlyList<int> trials;
        while ((trials = Signals.Find($"--model {model}").Where(pid => pid != search.Id).ToList()).Count == 0)
        {
            Assert.False(search.HasExited, $"predict ended before its Trials process was seen: {search.Output}");
            Assert.True(DateTime.UtcNow < deadline, "no Trials process appeared in 60 s");
            await Task.Delay(50);
        }

        // When Search is killed (SIGKILL: it cannot stop its child itself)
        search.Signal(UnixSignal.Kill);

        // Then the Trials process ends within seconds, not after answering 8,000 images to nobody
        var gone = DateTime.UtcNow.AddSeconds(5);
        while (Signals.Find($"--model {model}").Count > 0 && DateTime.UtcNow < gone) await Task.Delay(50);
        var left = Signals.Find($"--model {model}");
        foreach (var pid in left) Signals.Send(pid, UnixSignal.Kill);
        Assert.True(left.Count == 0, $"Trials process(es) {string.Join(", ", left)} still ran 5 s after Search was killed");
    }

    [Fact]
    public async Task AnEmptyStdinFromALivingParentIsNotTakenForItsDeath()
    {
        // Given a checkpoint and a digit, and Trials predict started with a stdin that is closed at once (`echo |`,
        // Python's subprocess.run(input=b"")) by a parent that lives on
        using var dir = new TempDirectory("ckpt-predict-stdin");
        var model = CheckpointOnly(dir);
        var images = Digits(dir["digits"], 3);
        var psi = new System.Diagnostics.ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "Trials"))
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in (string[])["predict", "--model", model, .. images]) psi.ArgumentList.Add(a);
        using var trials = System.Diagnostics.Process.Start(psi)!;
        trials.StandardInput.Close();

        // When it runs to its end
        var stdout = trials.StandardOutput.ReadToEndAsync();
        var stderr = trials.StandardError.ReadToEndAsync();
        await trials.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        // Then every image is answered, exit 0
        Assert.True(trials.ExitCode == 0, $"exit {trials.ExitCode}: {await stderr}");
        Assert.Equal(3, (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task WhatAKilledPredictLeftInTheTempFolderIsRemovedByTheNextOne()
    {
        // Given a temp folder holding what killed runs left an hour ago (a paths list, a tool folder of a process that
        // is gone), and what must stay: the same of a live process, and of a gone one written a minute ago
        using var dir = new TempDirectory("ckpt-predict-tmp");
        var model = CheckpointOnly(dir);
        var images = Digits(dir["digits"], 2);
        Directory.CreateDirectory(dir["tmp"]);
        int gone;
        using (var ended = System.Diagnostics.Process.Start("true")!) { ended.WaitForExit(); gone = ended.Id; }
        var old = DateTime.UtcNow.AddHours(-2);
        string Plant(string name, bool folder, DateTime written)
        {
            var path = dir[$"tmp/{name}"];
            if (folder) { Directory.CreateDirectory(path); File.WriteAllText(Path.Combine(path, "stdout.log"), "x"); File.SetLastWriteTimeUtc(Path.Combine(path, "stdout.log"), written); Directory.SetLastWriteTimeUtc(path, written); }
            else { File.WriteAllText(path, "x"); File.SetLastWriteTimeUtc(path, written); }
            return path;
        }
        var leftovers = new[] { Plant($"mnist-search-predict-{gone}-a.paths", false, old), Plant($"mnist-trials-tool-{gone}-b", true, old) };
        var kept = new[]
        {
            Plant($"mnist-search-predict-{Environment.ProcessId}-c.paths", false, old),
            Plant($"mnist-trials-tool-{gone}-d", true, DateTime.UtcNow.AddMinutes(-1)),
        };

        // When predict runs with a checkpoint
        var result = await SearchCli.RunAsync(dir.Path, new Dictionary<string, string> { ["TMPDIR"] = dir["tmp"] }, "predict", "--model", model, "--format", "json", images[0], images[1]);

        // Then the leftovers are gone, the others kept, and it left nothing of its own
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.All(leftovers, p => Assert.False(Path.Exists(p), p));
        Assert.Equal(kept.Order(), Directory.GetFileSystemEntries(dir["tmp"]).Order());
    }

    [Fact]
    public async Task AFolderWithoutImagesIsOneErrorRowAndTheOtherImagesAreStillAnswered()
    {
        // Given a checkpoint-only model, a folder of two digits and an empty folder: the empty folder ended the whole
        // command before Trials was asked about the digits
        using var dir = new TempDirectory("ckpt-predict-empty-folder");
        var model = CheckpointOnly(dir);
        var images = Digits(dir["digits"], 2);
        Directory.CreateDirectory(dir["empty"]);

        // When predict answers the empty folder and the digits' folder, as a table and as JSON, and then the empty
        // folder alone (nothing for Trials to answer)
        var table = await SearchCli.RunAsync(dir.Path, "predict", "--model", model, dir["empty"], dir["digits"]);
        var json = await SearchCli.RunAsync(dir.Path, "predict", "--model", model, "--format", "json", dir["empty"], dir["digits"]);
        var alone = await SearchCli.RunAsync(dir.Path, "predict", "--model", model, "--format", "json", dir["empty"]);

        // Then each answers every argument, the empty folder with one error naming it, and exits 2
        var error = $"{dir["empty"]}: folder holds no image (.png, .jpg, .jpeg, .bmp, .gif, .webp)";
        Assert.True(table.ExitCode == 2, $"exit {table.ExitCode}: {table.Stderr}");
        Assert.Equal($"error: {error}", table.Stderr.Trim());
        Assert.All(images, image => Assert.Contains(image, table.Stdout));
        Assert.True(json.ExitCode == 2, $"exit {json.ExitCode}: {json.Stderr}");
        var answers = JsonNode.Parse(json.Stdout)!.AsArray();
        Assert.Equal([dir["empty"], .. images], answers.Select(a => (string)a!["image"]!));
        Assert.Equal(error, (string)answers[0]!["error"]!);
        Assert.All(answers.Skip(1), a => Assert.InRange((int)a!["digit"]!, 0, 9));
        Assert.True(alone.ExitCode == 2, $"exit {alone.ExitCode}: {alone.Stderr}");
        Assert.Equal(error, (string)Assert.Single(JsonNode.Parse(alone.Stdout)!.AsArray())!["error"]!);
        Assert.Equal($"error: {error}", alone.Stderr.Trim());
    }

    private string CheckpointOnly(TempDirectory dir)
    {
        var trained = cnns.Folder("1conv-k3-fc1");
        Directory.CreateDirectory(dir["model"]);
        foreach (var name in new[] { "model.bin", "model.json" }) File.Copy(Path.Combine(trained, name), dir[$"model/{name}"]);
        return dir["model"];
    }

    // Copies of one real MNIST digit, named in order.
    private static List<string> Digits(string folder, int count)
    {
        Directory.CreateDirectory(folder);
        var first = Path.Combine(folder, "00000.png");
        OnnxPredictCliTests.SavePng(MnistFiles.TestImages(1).Images[0], first);
        var paths = new List<string> { first };
        for (var i = 1; i < count; i++)
        {
            paths.Add(Path.Combine(folder, $"{i:D5}.png"));
            File.Copy(first, paths[^1]);
        }
        return paths;
    }
}

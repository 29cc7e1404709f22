using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Mnist.Protocol.Events;
using Mnist.Search.Tests.Support.Faults;
using Mnist.Search.Tests.Support.Trials;
using Mnist.Trials.Data;
using Mnist.Trials.Model;
using Mnist.Trials.Training;
using TorchSharp;

namespace Mnist.Search.Tests.Trials.Protocol;

/// <summary>The worker protocol end to end: the built <c>Trials</c> executable as a real child process.</summary>
[Collection(WorkerProcessCollection.Name)]
public sealed class WorkerProcessTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private readonly TempDir dir = new();
    private readonly string dataDir;

    public WorkerProcessTests()
    {
        dataDir = SyntheticDigits.WriteDataset(Path.Combine(dir.Path, "data"), trainCount: 400, testCount: 200, gzip: true);
    }

    public void Dispose() => dir.Dispose();

    private string WriteSpec(JsonObject overrides)
    {
        var spec = new JsonObject
        {
            ["hyperparameters"] = new JsonObject
            {
                ["conv1_channels"] = 8, ["conv2_channels"] = 16, ["fc_width"] = 32, ["batch_size"] = 32, ["learning_rate"] = 0.003,
            },
            ["epochs"] = 2,
            ["seed"] = 1,
            ["data_dir"] = "data",
            ["out_dir"] = "out",
            ["threads"] = 1,
            ["validation"] = 100,
        };
        foreach (var (k, v) in overrides.ToList())
        {
            overrides.Remove(k);
            spec[k] = v;
        }
        string path = Path.Combine(dir.Path, "spec.json");
        File.WriteAllText(path, spec.ToJsonString());
        return path;
    }

    [Fact]
    public async Task WhenATrialCompletesThenEveryLineIsAProtocolEventAndTheCheckpointReproducesTheTestMetrics()
    {
        // Given
        string spec = WriteSpec(new JsonObject { ["evaluate_test"] = true, ["hyperparameters"] = new JsonObject
        {
            ["conv1_channels"] = 8, ["conv2_channels"] = 16, ["fc_width"] = 32, ["batch_size"] = 32, ["learning_rate"] = 0.003,
            ["rotation_degrees"] = 5.0, ["lr_schedule"] = "cosine",
        } });

        // When
        using var worker = WorkerRun.Start("run", "--spec", spec);
        int exit = await worker.WaitForExitAsync(Timeout);

        // Then: start, one epoch line per epoch, result — and nothing else on stdout
        Assert.Equal(0, exit);
        var events = worker.Events;
        Assert.Equal(new[] { "start", "epoch", "epoch", "result" }, events.Select(e => (string?)e["event"]));
        var start = events[0];
        Assert.Equal(300, (int)start["train_images"]!);
        Assert.Equal(100, (int)start["val_images"]!);
        Assert.Equal(8, (int)start["config"]!["conv1_channels"]!);
        Assert.Equal(0.25, (double)start["config"]!["dropout"]!);
        Assert.Equal(new[] { 1, 2 }, events.Where(e => (string?)e["event"] == "epoch").Select(e => (int)e["epoch"]!));
        foreach (var epoch in events.Where(e => (string?)e["event"] == "epoch"))
        {
            foreach (var key in new[] { EventFields.TrainLoss, EventFields.ValLoss, EventFields.ValAccuracy, EventFields.ImagesPerSecond, EventFields.ElapsedSeconds, EventFields.RssMegabytes })
                Assert.True(epoch[key] is JsonValue, $"epoch event lacks {key}: {epoch}");
            Assert.Equal(2, (int)epoch["epochs_planned"]!);
        }
        var result = events[^1];
        Assert.Equal("complete", (string?)result["state"]);
        Assert.Equal(2, (int)result["epochs_run"]!);
        Assert.True((double)result["val_accuracy"]! > 0.5, result.ToJsonString());
        Assert.Equal(Path.Combine(dir.Path, "out", "model.bin"), (string?)result["checkpoint"]);

        // And the checkpoint, loaded in this process, gives the worker's own test metrics
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, "out", "metrics.json")))!;
        var (model, sidecar) = CheckpointIO.Load(Path.Combine(dir.Path, "out"));
        using var _ = model;
        using var test = DatasetLoader.Load(dataDir, SplitKind.Test, DatasetInfo.Find(sidecar.Dataset)!);
        var eval = Evaluator.Evaluate(model, test, 10);
        Assert.Equal((double)result["test_accuracy"]!, eval.Accuracy, 6);
        Assert.Equal((double)metrics["accuracy"]!, eval.Accuracy, 6);
        Assert.Equal((double)metrics["loss"]!, eval.Loss, 4);
        Assert.Equal(eval.ConfusionRows(), metrics["confusion_matrix"]!.AsArray().Select(r => r!.AsArray().Select(v => (long)v!).ToArray()).ToArray());
    }

    [Fact]
    public async Task WhenAConvLayerHasAChannelCountOffTheSimdWidthThenEveryStepStaysFiniteUnderGcPressure()
    {
        // Given conv 11/78 — with libtorch's oneDNN kernels on, training it ended "loss is NaN" in 1 of 4 seeds
        // (bench/trials/onednn.sh, 2026-12-06), its first convolution's weight gradient NaN — and a tiny gen0
        // budget so the GC runs all the time.
        string spec = WriteSpec(new JsonObject
        {
            ["epochs"] = 12,
            ["hyperparameters"] = new JsonObject
            {
                ["conv1_channels"] = 11, ["conv2_channels"] = 78, ["fc_width"] = 33, ["batch_size"] = 64, ["learning_rate"] = 0.0015,
            },
        });
        var environment = new Dictionary<string, string> { ["DOTNET_GCgen0size"] = "0x40000" };

        // When
        using var worker = WorkerRun.Start(environment, "run", "--spec", spec);
        int exit = await worker.WaitForExitAsync(Timeout);

        // Then: oneDNN is off by default, and the run completes with a finite loss every epoch
        Assert.True(exit == 0, worker.Stderr);
        Assert.False((bool)worker.Events[0]["onednn"]!);
        var losses = worker.Events.Where(e => (string?)e["event"] == "epoch").Select(e => (double)e["train_loss"]!).ToList();
        Assert.Equal(12, losses.Count);
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        Assert.True(losses[^1] < losses[0], string.Join(", ", losses));
        Assert.DoesNotContain("NNPACK", worker.Stderr);
    }

    [Fact]
    public async Task WhenPruneArrivesOnStdinThenTheWorkerStopsWithAPrunedResultAndExitsZero()
    {
        // Given a run far too long to finish during the test
        string spec = WriteSpec(new JsonObject { ["epochs"] = 500 });
        using var worker = WorkerRun.Start("run", "--spec", spec);
        await worker.WaitForEventAsync("epoch", Timeout);

        // When
        worker.SendLine("prune");
        int exit = await worker.WaitForExitAsync(Timeout);

        // Then
        Assert.Equal(0, exit);
        var result = worker.Events[^1];
        Assert.Equal("result", (string?)result["event"]);
        Assert.Equal("pruned", (string?)result["state"]);
        int epochsRun = (int)result["epochs_run"]!;
        Assert.InRange(epochsRun, 1, 499);
        var lastEpoch = worker.Events.Last(e => (string?)e["event"] == "epoch");
        Assert.Equal(epochsRun, (int)lastEpoch["epoch"]!);
        Assert.Equal((double)lastEpoch[EventFields.ValAccuracy]!, (double)result[EventFields.ValAccuracy]!);
        Assert.True(File.Exists(Path.Combine(dir.Path, "out", "model.json")));
    }

    [Theory]
    [InlineData("end of stdin", 1)]
    [InlineData("SIGTERM", 143)]
    [InlineData("SIGINT", 130)]
    public async Task WhenTheWorkerIsStoppedMidTrainingThenItExitsAtOnceWithItsOwnCodeWithoutAResult(string stop, int code)
    {
        // Given workers stopped while they train (three, since the crash it used to end in came most of the time, not
        // always: SIGSEGV, exit 139, from libtorch's static destructors run by exit() under the training thread)
        for (var attempt = 0; attempt < 3; attempt++)
        {
            string spec = WriteSpec(new JsonObject { ["epochs"] = 500 });
            using var worker = WorkerRun.Start("run", "--spec", spec);
            await worker.WaitForEventAsync("epoch", Timeout);

            // When
            if (stop == "end of stdin") worker.CloseStdin();
            else Assert.True(Signals.Send(worker.Id, stop == "SIGTERM" ? UnixSignal.Term : UnixSignal.Int));
            int exit = await worker.WaitForExitAsync(TimeSpan.FromSeconds(30));

            // Then
            Assert.Equal(code, exit);
            Assert.DoesNotContain(worker.Events, e => (string?)e["event"] == "result");
        }
    }

    [Theory]
    [InlineData("SIGTERM")]
    [InlineData("SIGINT")]
    [InlineData("end of stdin")]
    public async Task WhenTheWorkerIsStoppedWhileItSavesTheCheckpointThenNoPartialFileIsLeft(string stop)
    {
        // Given a worker whose checkpoint write is held open: model.bin.tmp is a named pipe, which the test opens
        // for reading and never reads, so the save stays part-way once the pipe's buffer is full
        string spec = WriteSpec(new JsonObject { ["epochs"] = 1, ["hyperparameters"] = new JsonObject
        {
            ["conv1_channels"] = 8, ["conv2_channels"] = 16, ["fc_width"] = 256, ["batch_size"] = 64, ["learning_rate"] = 0.003,
        } });
        string outDir = Directory.CreateDirectory(Path.Combine(dir.Path, "out")).FullName;
        string partial = Path.Combine(outDir, "model.bin.tmp");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [partial])) await mkfifo.WaitForExitAsync();
        using var worker = WorkerRun.Start("run", "--spec", spec);
        // A plain open(2): a FileStream would take a file lock, and the worker's own open would then fail at once
        int reader = await Task.Run(() => OpenForReading(partial)).WaitAsync(Timeout);
        Assert.True(reader >= 0, $"open {partial}: errno {Marshal.GetLastPInvokeError()}");

        // When it is stopped mid-save
        if (stop == "end of stdin") worker.CloseStdin();
        else Assert.True(Signals.Send(worker.Id, stop == "SIGTERM" ? UnixSignal.Term : UnixSignal.Int));
        int exit = await worker.WaitForExitAsync(TimeSpan.FromSeconds(30));

        // Then it ends without a result, and neither half of the checkpoint is left under any name
        Assert.NotEqual(0, exit);
        Assert.DoesNotContain(worker.Events, e => (string?)e["event"] == "result");
        Assert.Empty(Directory.EnumerateFileSystemEntries(outDir));
        Close(reader);
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int OpenForReading(string path, int flags = 0);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);

    [Fact]
    public async Task WhenTheSpecAsksForMoreThanTheDataHoldsThenTheErrorNamesTheSpecFileToo()
    {
        // Given a spec that reads well but holds out more validation images than the data has (found only once run,
        // like a "cuda" device on a machine without one)
        string spec = WriteSpec(new JsonObject { ["validation"] = 1000 });

        // When
        using var worker = WorkerRun.Start("run", "--spec", spec);
        int exit = await worker.WaitForExitAsync(Timeout);

        // Then the one line names the file, the key and the value
        Assert.Equal(2, exit);
        Assert.StartsWith($"{spec}: $.validation: 1000 is not below the 400 training images", (string?)Assert.Single(worker.Events)["message"]);
        Assert.StartsWith($"{spec}: $.validation", worker.Stderr.Trim());
    }

    [Fact]
    public async Task WhenTheSpecAsksForCudaWhereThereIsNoneThenTheExitCodeSaysTheDeviceIsUnavailable()
    {
        // Given a spec for a CUDA device, for a worker without CUDA (the CPU build; a CUDA build on a GPU machine trains
        // instead, so there is nothing to check)
        if (TorchSharp.torch.cuda.is_available()) return;
        string spec = WriteSpec(new JsonObject { ["device"] = "cuda" });

        // When
        using var worker = WorkerRun.Start("run", "--spec", spec);
        int exit = await worker.WaitForExitAsync(Timeout);

        // Then exit 4, not 2: the machine's problem, which the coordinator stops on (with 2 it failed one trial after
        // another), and the one line names the file and the key
        Assert.Equal(Mnist.Protocol.Outputs.WorkerExitCodes.DeviceUnavailable, exit);
        Assert.StartsWith($"{spec}: $.device: \"cuda\" was requested but CUDA is not available", (string?)Assert.Single(worker.Events)["message"]);
    }

    [Fact]
    public async Task WhenTheSpecIsInvalidThenAnErrorEventNamesTheProblemAndTheExitCodeIsTwo()
    {
        // Given
        string spec = WriteSpec(new JsonObject { ["hyperparameters"] = new JsonObject { ["conv_layers"] = 9 } });

        // When
        using var worker = WorkerRun.Start("run", "--spec", spec);
        int exit = await worker.WaitForExitAsync(Timeout);

        // Then
        Assert.Equal(2, exit);
        var error = Assert.Single(worker.Events);
        Assert.Equal("error", (string?)error["event"]);
        Assert.Contains("$.hyperparameters.conv_layers: 9 is not valid", (string?)error["message"]);
    }

    [Fact]
    public async Task WhenATestFileIsMissingThenARetrainFailsBeforeItsFirstEpoch()
    {
        // Given a retrain spec (evaluate_test) over data whose test images are gone
        var images = Directory.GetFiles(dataDir, "t10k-images*").Single();
        File.Delete(images);
        string spec = WriteSpec(new JsonObject { ["full_train"] = true, ["evaluate_test"] = true, ["epochs"] = 2 });

        // When it runs
        using var worker = WorkerRun.Start("run", "--spec", spec);
        int exit = await worker.WaitForExitAsync(Timeout);

        // Then it fails as bad input naming the file, before any epoch was trained (it trained every epoch first)
        Assert.Equal(2, exit);
        Assert.Contains("t10k-images", (string?)worker.Events.Single()["message"]);
        Assert.DoesNotContain(worker.Events, e => (string?)e["event"] == "epoch");
    }

    [Fact]
    public async Task WhenADataFileIsTruncatedThenTheErrorNamesTheFileAndTheExitCodeIsTwo()
    {
        // Given
        string labels = Path.Combine(dataDir, "train-labels-idx1-ubyte");
        IdxWriter.WriteLabels(labels, new byte[400]);
        File.WriteAllBytes(labels, File.ReadAllBytes(labels)[..300]);
        string spec = WriteSpec(new JsonObject());

        // When
        using var worker = WorkerRun.Start("run", "--spec", spec);
        int exit = await worker.WaitForExitAsync(Timeout);

        // Then
        Assert.Equal(2, exit);
        Assert.Equal($"{labels}: file is truncated (expected 408 bytes, found 300)", (string?)worker.Events.Single()["message"]);
    }

    [Fact]
    public async Task WhenTheCommandLineLacksTheSpecThenTheExitCodeIsTwo()
    {
        // When
        using var worker = WorkerRun.Start("run");
        int exit = await worker.WaitForExitAsync(Timeout);

        // Then
        Assert.Equal(2, exit);
        Assert.Contains("--spec", worker.Stderr);
    }

    [Fact]
    public async Task WhenTheLossDivergesThenAnErrorEventIsWrittenAndTheExitCodeIsThree()
    {
        // Given
        string spec = WriteSpec(new JsonObject
        {
            ["epochs"] = 5,
            ["hyperparameters"] = new JsonObject
            {
                // The table's largest rate with near-1 momentum and tiny batches: many steps, each overshooting.
                ["conv1_channels"] = 8, ["conv2_channels"] = 16, ["fc_width"] = 32, ["batch_size"] = 4,
                ["batch_norm"] = false, ["optimizer"] = "sgd", ["learning_rate"] = 10, ["momentum"] = 0.999,
            },
        });

        // When
        using var worker = WorkerRun.Start("run", "--spec", spec);
        int exit = await worker.WaitForExitAsync(Timeout);

        // Then
        Assert.Equal(3, exit);
        var error = worker.Events[^1];
        Assert.Equal("error", (string?)error["event"]);
        Assert.Matches(@"^loss is (NaN|infinite) at epoch \d$", (string?)error["message"]);
    }

    [Fact]
    public async Task WhenFullTrainIsSetThenAllTrainingImagesAreUsedAndValidationValuesAreNull()
    {
        // Given
        string spec = WriteSpec(new JsonObject { ["full_train"] = true, ["epochs"] = 1 });

        // When
        using var worker = WorkerRun.Start("run", "--spec", spec, "--out", Path.Combine(dir.Path, "final"));
        int exit = await worker.WaitForExitAsync(Timeout);

        // Then
        Assert.Equal(0, exit);
        Assert.Equal(400, (int)worker.Events[0]["train_images"]!);
        Assert.Equal(0, (int)worker.Events[0]["val_images"]!);
        var result = worker.Events[^1];
        Assert.Null(result["val_accuracy"]);
        Assert.Null(result["best_val_accuracy"]);
        Assert.True(File.Exists(Path.Combine(dir.Path, "final", "model.bin")));
    }

    [Fact]
    public async Task WhenTheLearningRateIsTinyThenTheEpochReportsItAsUsedNotRoundedToZero()
    {
        // Given a constant learning rate of 1e-7 (the table allows down to 1e-12)
        string spec = WriteSpec(new JsonObject
        {
            ["epochs"] = 1,
            ["hyperparameters"] = new JsonObject
            {
                ["conv1_channels"] = 4, ["conv2_channels"] = 4, ["fc_width"] = 8, ["batch_size"] = 64, ["learning_rate"] = 1e-7,
                ["lr_schedule"] = "none",
            },
        });

        // When
        using var worker = WorkerRun.Start("run", "--spec", spec);
        int exit = await worker.WaitForExitAsync(Timeout);

        // Then the epoch's lr is 1e-7 (numbers were rounded to 6 decimal places: "lr":0)
        Assert.True(exit == 0, $"exit {exit}: {worker.Stderr}");
        var epoch = Assert.Single(worker.Events, e => (string?)e["event"] == "epoch");
        Assert.Equal(1e-7, (double)epoch["lr"]!);
    }

    [Fact]
    public async Task WhenMaxSecondsCannotHoldTheEpochsThenTheWorkerPlansFewerAndTheCosineFollowsThePlan()
    {
        // Given 1,000 epochs of 400 images (minutes of work) and a budget of 6 seconds
        string spec = WriteSpec(new JsonObject
        {
            ["full_train"] = true, ["epochs"] = 1000, ["max_seconds"] = 6, ["evaluate_test"] = true,
            ["hyperparameters"] = new JsonObject
            {
                ["conv1_channels"] = 8, ["conv2_channels"] = 16, ["fc_width"] = 32, ["batch_size"] = 32, ["learning_rate"] = 0.003,
                ["lr_schedule"] = "cosine",
            },
        });

        // When
        using var worker = WorkerRun.Start("run", "--spec", spec);
        int exit = await worker.WaitForExitAsync(Timeout);

        // Then the run ends early and complete, with the test figures, after the epochs it last planned
        Assert.Equal(0, exit);
        var epochs = worker.Events.Where(e => (string?)e["event"] == "epoch").ToList();
        var result = worker.Events[^1];
        Assert.Equal("complete", (string?)result["state"]);
        int run = (int)result["epochs_run"]!;
        Assert.InRange(run, 1, 999);
        Assert.Equal(run, epochs.Count);
        Assert.True(result["test_accuracy"] is JsonValue, result.ToJsonString());
        // The plan only ever shrinks, never below the epochs already run, and ends where the run ended
        var plans = epochs.Select(e => (int)e["epochs_planned"]!).ToList();
        Assert.All(plans.Zip(plans.Skip(1)), p => Assert.True(p.Second <= p.First, string.Join(",", plans)));
        Assert.All(epochs, e => Assert.True((int)e["epochs_planned"]! >= (int)e["epoch"]!, e.ToJsonString()));
        Assert.Equal(run, plans[^1]);
        // And each epoch's learning rate is the cosine over the plan in force while it trained (planned after the
        // epoch before; how many epochs fit depends on the machine, this does not): annealed to the new total,
        // which ends near zero whenever the plan held through the last epoch
        const int stepsPerEpoch = 13; // 400 images in batches of 32
        for (int i = 1; i <= run; i++)
        {
            int plan = i == 1 ? 1000 : plans[i - 2];
            double progress = ((i - 1) * stepsPerEpoch + stepsPerEpoch - 1) / (double)(plan * stepsPerEpoch);
            double expected = 0.003 * 0.5 * (1 + Math.Cos(Math.PI * progress));
            Assert.True(Math.Abs(expected - (double)epochs[i - 1]["lr"]!) <= 1e-6, $"epoch {i} of plan {plan}: expected lr {expected}, got {epochs[i - 1]}");
        }
    }
}

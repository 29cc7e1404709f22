using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mnist.Protocol.Events;
using Mnist.Protocol.Outputs;
using Mnist.Protocol.Specs;
using Mnist.Trials.Data;
using Mnist.Trials.Model;
using Mnist.Trials.Native;
using Mnist.Trials.Protocol;
using TorchSharp;
using static TorchSharp.torch;
using Mnist.Protocol.Files;

namespace Mnist.Trials.Training;

/// <summary>
/// Runs one trial end to end as docs/worker-protocol.md describes: load data, hold out validation,
/// train epoch by epoch emitting <c>epoch</c> events, checkpoint after every epoch, optionally
/// evaluate on the test split, and finish with a <c>result</c> (or an <c>error</c>). Returns the exit code.
/// </summary>
internal sealed class TrialRunner(EventWriter events, PruneSignal prune, TextWriter log)
{
    /// <param name="source">The spec file, named by the errors found in it once it is run (a device the machine lacks).</param>
    /// <param name="outFromCommandLine">The output folder is <c>--out</c>'s, not the spec's <c>out_dir</c>: its errors name the option.</param>
    public int Run(TrialSpec spec, string source, bool outFromCommandLine = false)
    {
        try
        {
            return RunTrial(spec, outFromCommandLine);
        }
        catch (SpecException ex)
        {
            return Fail(new SpecException($"{source}: {ex.Message}", ex), WorkerExitCodes.BadInput);
        }
        catch (CommandLineException ex)
        {
            return Fail(ex, WorkerExitCodes.BadInput);
        }
        catch (DeviceUnavailableException ex)
        {
            return Fail(new SpecException($"{source}: {ex.Message}", ex), WorkerExitCodes.DeviceUnavailable);
        }
        catch (IdxFormatException ex)
        {
            return Fail(ex, WorkerExitCodes.BadInput);
        }
        catch (TrainingDivergedException ex)
        {
            return Fail(ex, WorkerExitCodes.TrainingFailed);
        }
        catch (Exception ex) when (IsLibTorchLoadFailure(ex))
        {
            // libtorch cannot be loaded here (a library missing from the build or the node, a node without the GLIBCXX it
            // needs): the machine's problem, as a device it lacks is, so the coordinator queues the trial again and stops
            // (exit 1 failed every trial of the budget within seconds). The whole trace goes to stderr.
            log.WriteLine(ex.ToString());
            log.Flush();
            var cause = (ex.InnerException ?? ex).Message.Split('\n', 2)[0].Trim();
            events.Write(EventNames.Error, new JsonObject { [EventFields.Message] = $"libtorch cannot be loaded on this machine: {cause}" });
            return WorkerExitCodes.DeviceUnavailable;
        }
        catch (Exception ex)
        {
            return Fail(ex, WorkerExitCodes.Failure);
        }
    }

    /// <summary>TorchSharp's first use threw because its native libraries did not load.</summary>
    private static bool IsLibTorchLoadFailure(Exception ex) =>
        ex is DllNotFoundException
        || ex is TypeInitializationException { TypeName: { } type } && type.StartsWith("TorchSharp.", StringComparison.Ordinal);

    private int Fail(Exception ex, int exitCode)
    {
        log.WriteLine(exitCode == WorkerExitCodes.Failure ? ex.ToString() : ex.Message);
        log.Flush();
        events.Write(EventNames.Error, new JsonObject { [EventFields.Message] = ex.Message });
        return exitCode;
    }

    /// <summary>
    /// The batch sizes that counts of images run at, given as pairs (batch, count) in turn: a full batch and the last, partial one (none for a count of 0). oneDNN picks its kernels
    /// by shape, so the check covers each: training and its BatchNorm re-estimation, validation, test.
    /// </summary>
    internal static IEnumerable<int> BatchSizes(params int[] batchAndCount)
    {
        if (batchAndCount.Length % 2 != 0) throw new ArgumentException("pairs of (batch, count) expected", nameof(batchAndCount));
        for (int i = 0; i + 1 < batchAndCount.Length; i += 2)
        {
            var (batch, count) = (batchAndCount[i], batchAndCount[i + 1]);
            if (count <= 0 || batch <= 0) continue;
            yield return Math.Min(batch, count);
            if (count > batch && count % batch != 0) yield return count % batch;
        }
    }

    private int RunTrial(TrialSpec spec, bool outFromCommandLine)
    {
        var clock = Stopwatch.StartNew();
        var hp = Hyperparameters.From(spec.ResolvedHyperparameters);
        var dataset = DatasetInfo.Find(spec.Dataset)
            ?? throw new SpecException($"$.dataset: unknown dataset \"{spec.Dataset}\"");
        var device = ResolveDevice(spec.Device);
        // The output folder is made now, not at the first checkpoint: one that cannot be (a file of that name, no
        // permission) was found after loading the data and a whole epoch, and reported with a stack trace, exit 1.
        try { Directory.CreateDirectory(spec.OutDir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string problem = $"{spec.OutDir} cannot be used as the output folder ({e.Message})";
            // Named where the user gave it: --out overrides the spec's out_dir, so the spec's key was the wrong place to look.
            if (outFromCommandLine) throw new CommandLineException($"--out: {problem}");
            throw new SpecException($"$.out_dir: {problem}");
        }
        ProcessMemory.TuneNativeHeap();
        torch.set_num_threads(spec.Threads);
        bool oneDnn = LibTorchFlags.ConfigureCpuKernels();
        torch.manual_seed(spec.Seed);

        var (trainRows, valRows) = LoadTrainingRows(spec, dataset);
        using var trainCpu = trainRows;
        using var valCpu = valRows;
        // Read before training, not after it: a missing or broken test file threw away a whole retrain (20 epochs,
        // minutes) at its very end. 10,000 test images hold about 31 MB while the model trains.
        using var testCpu = spec.EvaluateTest ? DatasetLoader.Load(spec.DataDir, SplitKind.Test, dataset) : null;
        var train = trainCpu.To(device);
        var val = valCpu?.To(device);
        string? oneDnnRefused = null;
        if (device.type == DeviceType.CPU)
        {
            // Asked for oneDNN: trusted only once it computes this network as libtorch's own kernels do, at every batch
            // size the trial will run (see OneDnnCheck: on this machine it does not, for most channel counts).
            int batch = Math.Min(hp.BatchSize, train.Count);
            int calibration = hp.BatchNorm ? Math.Min(BatchNormCalibration.Images, train.Count) : 0;
            (oneDnn, oneDnnRefused) = OneDnnCheck.ConfigureCheckedCpuKernels(() => new CnnModel(hp, dataset.ClassNames.Count),
                [.. train.Images.shape.Skip(1)], dataset.ClassNames.Count,
                trainingBatchSizes: BatchSizes(batch, train.Count),
                inferenceBatchSizes: [.. BatchSizes(spec.EvalBatchSize, val?.Count ?? 0), .. BatchSizes(spec.EvalBatchSize, testCpu?.Count ?? 0)],
                notes: log, trainingForwardBatchSizes: BatchSizes(BatchNormCalibration.BatchSize, calibration));
        }
        else oneDnn = false; // oneDNN runs CPU tensors only: nothing of a GPU trial

        var config = JsonSerializer.SerializeToNode(hp)!;
        events.Write(EventNames.Start, new JsonObject
        {
            [EventFields.Config] = config,
            [EventFields.Device] = device.type == DeviceType.CUDA ? "cuda" : "cpu",
            [EventFields.Threads] = spec.Threads,
            [EventFields.OneDnn] = oneDnn,
            [EventFields.OneDnnRefused] = oneDnnRefused,
            [EventFields.TrainImages] = train.Count,
            [EventFields.ValImages] = val?.Count ?? 0,
            [EventFields.Pid] = Environment.ProcessId,
            [EventFields.Epochs] = spec.Epochs,
            [EventFields.Seed] = spec.Seed,
            [EventFields.Dataset] = dataset.Name,
            [EventFields.OutDir] = spec.OutDir,
        });

        using var model = new CnnModel(hp, dataset.ClassNames.Count);
        model.to(device);
        double background = (0.0 - dataset.Mean) / dataset.Std;
        using var trainer = new Trainer(model, train, hp, spec.Epochs, spec.Seed, background);

        double? lastValAccuracy = null, bestValAccuracy = null, lastValLoss = null;
        string? checkpoint = null;
        int epochsRun = 0;
        bool pruned = false;
        int planned = spec.Epochs;
        double epochsSeconds = 0;
        for (int epoch = 1; epoch <= planned; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            var result = trainer.TrainEpoch(epoch, () => prune.IsRequested);
            double trainSeconds = epochClock.Elapsed.TotalSeconds;
            if (result.Stopped)
            {
                pruned = true;
                break;
            }
            var evalClock = Stopwatch.StartNew();
            EvaluationResult? eval = val is null ? null : Evaluator.Evaluate(model, val, dataset.ClassNames.Count, spec.EvalBatchSize);
            double evalSeconds = evalClock.Elapsed.TotalSeconds;
            epochsRun = epoch;
            lastValAccuracy = eval?.Accuracy;
            lastValLoss = eval?.Loss;
            if (eval is not null && (bestValAccuracy is null || eval.Accuracy > bestValAccuracy)) bestValAccuracy = eval.Accuracy;
            checkpoint = SaveCheckpoint(spec, dataset, model, epochsRun, lastValAccuracy);
            ProcessMemory.TrimNativeHeap();
            epochsSeconds += epochClock.Elapsed.TotalSeconds;
            if (spec.MaxSeconds is int budget
                && EpochBudget.Fit(planned, epoch, epochsSeconds, clock.Elapsed.TotalSeconds, budget) is var fit && fit < planned)
            {
                log.WriteLine($"note: {planned} epochs would not end within max_seconds {budget} ({epochsSeconds / epoch:F1} s per epoch so far): planning {fit}");
                planned = fit;
                trainer.Replan(planned);
            }
            events.Write(EventNames.Epoch, new JsonObject
            {
                [EventFields.EpochNumber] = epoch,
                [EventFields.TrainLoss] = EventWriter.Number(result.TrainLoss),
                [EventFields.ValLoss] = EventWriter.Number(eval?.Loss),
                [EventFields.ValAccuracy] = EventWriter.Number(eval?.Accuracy),
                [EventFields.ImagesPerSecond] = EventWriter.Number(result.Images / trainSeconds),
                [EventFields.ElapsedSeconds] = EventWriter.Number(clock.Elapsed.TotalSeconds),
                [EventFields.TrainSeconds] = EventWriter.Number(trainSeconds),
                [EventFields.EvalSeconds] = EventWriter.Number(evalSeconds),
                [EventFields.LearningRate] = EventWriter.Number(trainer.CurrentLearningRate),
                [EventFields.RssMegabytes] = EventWriter.Number(ProcessMemory.ResidentMegabytes()),
                [EventFields.EpochsPlanned] = planned,
            });
            if (prune.IsRequested && epoch < planned)
            {
                pruned = true;
                break;
            }
        }

        double? testAccuracy = null, testLoss = null;
        if (!pruned && testCpu is not null)
        {
            var test = testCpu.To(device);
            var eval = Evaluator.Evaluate(model, test, dataset.ClassNames.Count, spec.EvalBatchSize);
            if (!ReferenceEquals(test, testCpu)) test.Dispose();
            testAccuracy = eval.Accuracy;
            testLoss = eval.Loss;
            WriteMetrics(spec.OutDir, eval, dataset);
        }

        if (!ReferenceEquals(train, trainCpu)) train.Dispose();
        if (val is not null && !ReferenceEquals(val, valCpu)) val.Dispose();

        events.Write(EventNames.Result, new JsonObject
        {
            [EventFields.State] = pruned ? EventFields.Pruned : EventFields.Complete,
            [EventFields.ValAccuracy] = EventWriter.Number(lastValAccuracy),
            [EventFields.BestValAccuracy] = EventWriter.Number(bestValAccuracy),
            [EventFields.ValLoss] = EventWriter.Number(lastValLoss),
            [EventFields.TestAccuracy] = EventWriter.Number(testAccuracy),
            [EventFields.TestLoss] = EventWriter.Number(testLoss),
            [EventFields.DurationSeconds] = EventWriter.Number(clock.Elapsed.TotalSeconds),
            [EventFields.Checkpoint] = checkpoint,
            [EventFields.EpochsRun] = epochsRun,
        });
        return WorkerExitCodes.Success;
    }

    /// <summary>
    /// The rows the trial trains and validates on. The whole training split is freed as soon as they are copied from it,
    /// and with <c>full_train</c> it is the training rows itself: it stayed beside them for the whole run, 188 MB of
    /// MNIST in every worker (held twice with <c>full_train</c>, which copied every row).
    /// </summary>
    private (DataSplit Train, DataSplit? Validation) LoadTrainingRows(TrialSpec spec, DatasetInfo dataset)
    {
        var all = DatasetLoader.Load(spec.DataDir, SplitKind.Train, dataset);
        if (spec.FullTrain)
        {
            if (spec.TrainSubset is not null)
                log.WriteLine("note: full_train trains on the whole training split; train_subset is ignored");
            return (all, null);
        }
        using (all)
        {
            if (spec.Validation >= all.Count)
                throw new SpecException($"$.validation: {spec.Validation} is not below the {all.Count} training images in {spec.DataDir}");
            var split = ValidationSplit.Create(all.Count, spec.Validation, spec.TrainSubset, spec.EffectiveSplitSeed);
            var train = Subset(all, split.TrainIndices);
            try
            {
                return (train, split.ValidationIndices.Length > 0 ? Subset(all, split.ValidationIndices) : null);
            }
            catch
            {
                train.Dispose();
                throw;
            }
        }
    }

    private static DataSplit Subset(DataSplit all, long[] indices)
    {
        using var idx = torch.tensor(indices, dtype: ScalarType.Int64);
        return all.Select(idx);
    }

    private static Device ResolveDevice(string requested)
    {
        bool cuda = torch.cuda.is_available();
        return requested switch
        {
            "cuda" when !cuda => throw new DeviceUnavailableException("$.device: \"cuda\" was requested but CUDA is not available to this worker (use \"cpu\" or \"auto\")"),
            "cuda" => torch.CUDA,
            "auto" when cuda => torch.CUDA,
            _ => torch.CPU,
        };
    }

    private static string SaveCheckpoint(TrialSpec spec, DatasetInfo dataset, CnnModel model, int epochsRun, double? valAccuracy)
    {
        var sidecar = new ModelSidecar
        {
            Architecture = Hyperparameters.From(spec.ResolvedHyperparameters),
            InputShape = [1, IdxReader.ImageSide, IdxReader.ImageSide],
            Normalization = new NormalizationInfo(dataset.Mean, dataset.Std),
            ClassNames = dataset.ClassNames,
            Dataset = dataset.Name,
            Seed = spec.Seed,
            EpochsRun = epochsRun,
            ValAccuracy = valAccuracy,
            FullTrain = spec.FullTrain,
            TorchSharpVersion = typeof(torch).Assembly.GetName().Version?.ToString(),
            CreatedUtc = DateTimeOffset.UtcNow,
        };
        // TorchSharp's save copies device tensors to the CPU, so the file loads on any machine; the
        // model itself is not moved, because the optimizer holds references to its parameters.
        return CheckpointIO.Save(spec.OutDir, model, sidecar);
    }

    private static void WriteMetrics(string outDir, EvaluationResult eval, DatasetInfo dataset)
    {
        Directory.CreateDirectory(outDir);
        // Per-class precision/recall/F1, macro F1 and Cohen's kappa come from the confusion matrix.
        var metrics = JsonNode.Parse(Evaluation.ClassificationMetrics.FromConfusionMatrix(eval.ConfusionMatrix).ToJson())!.AsObject();
        metrics["accuracy"] = EventWriter.Number(eval.Accuracy);
        metrics["loss"] = EventWriter.Number(eval.Loss);
        metrics["dataset"] = dataset.Name;
        metrics["split"] = "test";
        metrics["images"] = eval.Images;
        metrics["class_names"] = new JsonArray(dataset.ClassNames.Select(n => (JsonNode?)n).ToArray());
        string path = Path.Combine(outDir, ArtifactNames.Metrics);
        string tmp = ArtifactNames.Partial(path);
        using var writing = PartialFiles.Writing(tmp);
        File.WriteAllText(tmp, metrics.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Durable.Replace(tmp, path);
    }
}

/// <summary>The spec's device cannot be used here (<see cref="WorkerExitCodes.DeviceUnavailable"/>).</summary>
internal sealed class DeviceUnavailableException(string message) : Exception(message);

/// <summary>An option of the command line cannot be used (<see cref="WorkerExitCodes.BadInput"/>); the message names it, not the spec.</summary>
internal sealed class CommandLineException(string message) : Exception(message);

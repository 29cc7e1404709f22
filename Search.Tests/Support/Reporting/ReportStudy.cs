using System.Text.Json.Nodes;
using Mnist.Search.Space;
using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Support.Reporting;

/// <summary>
/// Writes a study into a real SQLite storage the way the coordinator does (create RUNNING, report epochs,
/// set the epochs and device attributes, finish), so reports are tested on what storage gives back.
/// </summary>
internal sealed class ReportStudy : IAsyncDisposable
{
    public static readonly FloatDistribution LearningRate = new(1e-4, 1e-1, Log: true);
    public static readonly IntDistribution Channels = new(8, 64, Step: 8);
    public static readonly CategoricalDistribution Optimizer = new(["adam", "sgd", "rmsprop"]);

    private ReportStudy(IStudyStorage storage, StudyInfo study, string url)
    {
        Storage = storage;
        Study = study;
        Url = url;
    }

    public IStudyStorage Storage { get; }

    public StudyInfo Study { get; }

    /// <summary>The storage URL (<c>sqlite:PATH</c>).</summary>
    public string Url { get; }

    public static async Task<ReportStudy> CreateAsync(string dbPath, string name = "report-study", StudyDirection direction = StudyDirection.MAXIMIZE)
    {
        var url = "sqlite:" + dbPath;
        var storage = await StorageFactory.OpenAsync(url, Path.GetDirectoryName(dbPath)!);
        var (study, _) = await storage.CreateStudyAsync(name, direction);
        return new ReportStudy(storage, study, url);
    }

    /// <summary>
    /// Adds one trial with parameters (lr, channels, optimizer), the given per-epoch objective values (validation
    /// accuracy), losses derived from them, on <paramref name="device"/> (null: no device attribute, as a trial has
    /// before its worker writes one), finished in <paramref name="state"/>.
    /// </summary>
    public async Task<TrialSnapshot> AddTrialAsync(TrialState state, double lr, long channels, string optimizer, double[] curve, string? device = "cpu:0",
        IReadOnlyDictionary<string, object?>? systemAttrs = null)
    {
        var parameters = new Dictionary<string, (ParameterDistribution, double)>
        {
            ["lr"] = (LearningRate, lr),
            ["channels"] = (Channels, channels),
            ["optimizer"] = (Optimizer, Optimizer.ToInternal(optimizer)),
        };
        var attrs = new Dictionary<string, object?>(systemAttrs ?? new Dictionary<string, object?>());
        if (device is not null) attrs[StudyAttributes.Device] = device;
        var trial = (await Storage.CreateTrialAsync(Study.Id, TrialState.RUNNING, parameters, attrs))!;
        var epochs = new JsonArray();
        for (var e = 0; e < curve.Length; e++)
        {
            epochs.Add(new JsonObject
            {
                ["event"] = "epoch",
                ["epoch"] = e + 1,
                ["train_loss"] = 1.5 * (1 - curve[e]) + 0.05,
                ["val_loss"] = 1.2 * (1 - curve[e]) + 0.08,
                ["val_accuracy"] = curve[e],
            });
            await Storage.SetTrialUserAttrAsync(trial.Id, StudyAttributes.Epochs, epochs);
            await Storage.ReportIntermediateValueAsync(trial.Id, e + 1, curve[e]);
        }
        if (state == TrialState.FAIL)
            await Storage.SetTrialSystemAttrAsync(trial.Id, StudyAttributes.FailReason, "worker exited with code 134");
        if (state != TrialState.RUNNING)
            await Storage.FinishTrialAsync(trial.Id, state, state == TrialState.COMPLETE ? curve[^1] : null);
        return await Storage.GetTrialAsync(trial.Id);
    }

    /// <summary>Stores the attributes <c>study retrain</c> leaves: test accuracy, trial, folder and metrics with a 10×10 confusion matrix.</summary>
    public async Task SetRetrainAsync(int trialNumber, string retrainDir)
    {
        var matrix = new JsonArray();
        var correct = 0;
        for (var i = 0; i < 10; i++)
        {
            var row = new JsonArray();
            for (var j = 0; j < 10; j++) row.Add(i == j ? 95 + i : (i + j) % 4 == 0 ? 2 : 0);
            correct += 95 + i;
            matrix.Add(row);
        }
        var total = matrix.Sum(r => r!.AsArray().Sum(c => (int)c!));
        var accuracy = (double)correct / total;
        await Storage.SetStudyUserAttrAsync(Study.Id, StudyAttributes.RetrainTestAccuracy, accuracy);
        await Storage.SetStudyUserAttrAsync(Study.Id, StudyAttributes.RetrainTrial, trialNumber);
        await Storage.SetStudyUserAttrAsync(Study.Id, StudyAttributes.RetrainDirectory, retrainDir);
        await Storage.SetStudyUserAttrAsync(Study.Id, StudyAttributes.RetrainMetrics,
            new JsonObject { ["test_accuracy"] = accuracy, ["confusion_matrix"] = matrix });
    }

    /// <summary>
    /// A study with every kind of trial: 8 COMPLETE whose accuracy depends on the learning rate (best near 3e-3),
    /// 3 PRUNED, 2 FAIL (one after an epoch, one before any), on two devices, and a retrained model.
    /// </summary>
    public async Task FillMixedAsync(string retrainDir)
    {
        double[] lrs = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 2e-3];
        string[] optimizers = ["adam", "sgd", "rmsprop"];
        for (var i = 0; i < lrs.Length; i++)
        {
            var peak = 0.99 - 0.05 * Math.Pow(Math.Log10(lrs[i] / 3e-3), 2);
            await AddTrialAsync(TrialState.COMPLETE, lrs[i], 8 * (1 + i % 8), optimizers[i % 3],
                [peak - 0.08, peak - 0.03, peak], device: i % 2 == 0 ? "cpu:0" : "cuda:0");
        }
        await AddTrialAsync(TrialState.PRUNED, 5e-2, 16, "sgd", [0.62], device: "cpu:0");
        await AddTrialAsync(TrialState.PRUNED, 8e-2, 24, "sgd", [0.55, 0.58], device: "cuda:0");
        await AddTrialAsync(TrialState.PRUNED, 1.5e-4, 32, "adam", [0.70], device: "cpu:0");
        await AddTrialAsync(TrialState.FAIL, 9e-2, 64, "rmsprop", [0.31], device: "cuda:0");
        await AddTrialAsync(TrialState.FAIL, 1e-2, 40, "adam", [], device: "cpu:0");
        await SetRetrainAsync(3, retrainDir);
    }

    /// <summary>Loads the study back from storage, as `study report` does, and writes its report into <paramref name="reportDir"/>; returns index.html.</summary>
    public async Task<string> WriteReportAsync(string reportDir) =>
        Mnist.Search.Reporting.StudyReportWriter.Write((await Mnist.Search.Reporting.StudyReportData.LoadAsync(Storage, Study.Name))!, reportDir);

    public ValueTask DisposeAsync() => Storage.DisposeAsync();
}

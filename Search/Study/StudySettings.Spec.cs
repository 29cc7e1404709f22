using Mnist.Protocol.Datasets;
using Mnist.Protocol.Hyperparameters;
using Mnist.Protocol.Specs;
using Mnist.Search.Scheduling;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Study;

public sealed partial record StudySettings
{
    /// <summary>
    /// The worker spec for <paramref name="trial"/> (a search trial, or the best one to retrain): the fixed
    /// hyperparameters overlaid by the trial's sampled ones, this study's data, and the device's slot.
    /// </summary>
    public TrialSpec SpecFor(TrialSnapshot trial, int epochs, int seed, DeviceSlot device, string outDir,
        bool fullTrain = false, bool evaluateTest = false) => new()
    {
        Hyperparameters = HyperparametersOf(trial),
        Epochs = epochs,
        Seed = seed,
        // Every trial holds out the same validation images, so their values compare like for like.
        SplitSeed = Data.SplitSeed ?? Seed,
        Dataset = Data.Dataset,
        DataDir = Data.Directory,
        Device = device.WorkerDevice,
        Threads = device.Threads,
        OutDir = outDir,
        TrainSubset = fullTrain ? null : Data.TrainSubset,
        Validation = Data.Validation,
        FullTrain = fullTrain,
        EvaluateTest = evaluateTest,
    };

    /// <summary>The <see cref="StudyAttributes.Fidelity"/> record of a search trial after <paramref name="epochs"/> epochs.</summary>
    public IReadOnlyDictionary<string, int> FidelityAt(int epochs) => new Dictionary<string, int>
    {
        ["epochs"] = epochs,
        ["max_epochs"] = Epochs,
        // The worker trains on every image outside the validation hold-out when no subset is given.
        ["train_images"] = Data.TrainSubset ?? Math.Max(DatasetNames.TrainImages - Data.Validation, 0),
    };

    /// <summary>
    /// <see cref="Fixed"/> overlaid by the trial's sampled (external) values of the searched names. Known names take the
    /// table's canonical form, so an int sampled from a float range or stored as 32.0 is written as 32; names the
    /// table does not know (a custom worker's) pass through; nulls mean "the worker's default" and are left out.
    /// Throws <see cref="ArgumentException"/> for a trial that is no configuration of this study
    /// (<see cref="StudyTerms.Excludes"/>: another Optuna client's, with parameters it neither searches nor fixes, or
    /// against <see cref="Fixed"/>): every parameter was overlaid, so a retrain trained SGD with weight decay where the
    /// study fixes Adam.
    /// </summary>
    public IReadOnlyDictionary<string, object> HyperparametersOf(TrialSnapshot trial)
    {
        if (new StudyTerms(Space, Fixed.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value!)).Excludes(trial) is { } why)
            throw new ArgumentException($"trial {trial.Number} is no configuration of study '{Name}': {why}");
        var values = new Dictionary<string, object>(StringComparer.Ordinal);
        void Put(string name, object? value)
        {
            if (value is null) values.Remove(name);
            else values[name] = HyperparameterTable.Find(name)?.Canonical(value) ?? value;
        }
        foreach (var (name, value) in Fixed) Put(name, value);
        foreach (var name in trial.Params.Keys.Where(Space.Names.Contains)) Put(name, trial.ExternalParam(name));
        return values;
    }
}

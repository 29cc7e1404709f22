using Mnist.Search.Config;
using Mnist.Search.Pruning;
using Mnist.Search.Sampling;
using Mnist.Search.Study;
using Mnist.Search.Workers;

namespace Mnist.Search.Cli;

/// <summary>Turns a validated <see cref="StudyConfig"/> into the services' settings.</summary>
internal static class ConfigMapping
{
    public static StudySettings ToSettings(StudyConfig config, string studyDirectory) => new()
    {
        Name = config.Study,
        Direction = config.Objective.Direction,
        Metric = config.Objective.Metric,
        Space = config.Space,
        Fixed = config.Fixed.ToDictionary(kv => kv.Key, kv => (object?)kv.Value),
        Trials = config.Budget.Trials,
        Epochs = config.Budget.Epochs,
        Seed = config.Sampler.EffectiveSeed,
        Selection = config.Selection,
        StudyDirectory = studyDirectory,
        Data = new TrialDataSettings(config.Dataset.Name, config.Dataset.Dir, config.Dataset.Validation, config.Dataset.TrainSubset, config.Dataset.SplitSeed),
        Timeout = config.Budget.Timeout,
        TrialTimeout = config.Budget.EffectiveTrialTimeout,
        MaxConsecutiveFailures = config.Budget.MaxConsecutiveFailures,
        HeartbeatInterval = TimeSpan.FromSeconds(EnvSeconds("MNIST_SEARCH_HEARTBEAT_SECONDS", 5)),
        HeartbeatGrace = HeartbeatGrace,
    };

    public static ISampler Sampler(StudyConfig config) =>
        SamplerFactory.Create(new SamplerSettings(
            config.Sampler.Kind switch { SamplerKind.Random => SamplerSettings.Random, SamplerKind.Tpe => SamplerSettings.Tpe, _ => SamplerSettings.Gp },
            config.Sampler.StartupTrials,
            config.Sampler.EffectiveSeed,
            MaxFidelity(config)));

    /// <summary>
    /// The GP models the fidelity when trials can stop at different epochs (a pruner is set): a trial pruned
    /// after one epoch is then a low-fidelity observation, not a finished run with a bad score.
    /// </summary>
    private static int MaxFidelity(StudyConfig config) =>
        config.Pruner.Kind != PrunerKind.None && config.Budget.Epochs > 1 ? config.Budget.Epochs : 0;

    public static IPruner Pruner(StudyConfig config) => config.Pruner.Kind switch
    {
        PrunerKind.Median => MedianPruner.Create(config.Pruner.StartupTrials, config.Pruner.WarmupEpochs, config.Pruner.Interval),
        PrunerKind.Asha => new SuccessiveHalvingPruner(config.Pruner.MinResource, config.Pruner.ReductionFactor),
        PrunerKind.Hyperband => new HyperbandPruner(config.Study, config.Pruner.MinResource, config.Budget.Epochs, config.Pruner.ReductionFactor),
        _ => NopPruner.Instance,
    };

    /// <summary>The trial command: <c>worker.command</c> from the config, else the built Trials worker.</summary>
    public static TrialCommand Command(StudyConfig config)
    {
        if (config.Worker is { } custom) return new TrialCommand(custom.Command);
        return TrialCommand.ForWorker(WorkerLocator.Locate());
    }

    // Heartbeat timing is a property of the deployment, not of the study: tests shorten it.
    /// <summary>How old a RUNNING trial's heartbeat may grow before another process takes its coordinator for dead.</summary>
    public static TimeSpan HeartbeatGrace => TimeSpan.FromSeconds(EnvSeconds("MNIST_SEARCH_HEARTBEAT_GRACE_SECONDS", StudySettings.DefaultHeartbeatGrace.TotalSeconds));

    private static double EnvSeconds(string name, double fallback) =>
        double.TryParse(Environment.GetEnvironmentVariable(name), System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0 ? s : fallback;
}

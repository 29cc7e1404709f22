using Mnist.Search.Pruning;
using Mnist.Search.Sampling;
using Mnist.Search.Scheduling;
using Mnist.Search.Space;
using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Vocabulary;
using Mnist.Search.Workers;
using Serilog;

namespace Mnist.Search.Tests.Support.Study;

/// <summary>A real coordinator over a temporary SQLite study (or the PostgreSQL database given), running a <see cref="FakeWorker"/> script.</summary>
internal sealed class CoordinatorHarness : IAsyncDisposable
{
    private readonly TempDirectory _dir;

    public static readonly SearchSpace Space = new(
    [
        new("conv1_channels", new IntDistribution(8, 64, Log: true)),
        new("learning_rate", new FloatDistribution(1e-4, 1e-2, Log: true)),
        new("batch_size", new CategoricalDistribution([64L, 128L, 256L])),
    ]);

    private CoordinatorHarness(TempDirectory dir, FakeWorker worker, StudySettings settings, IStudyStorage storage)
    {
        _dir = dir;
        Worker = worker;
        Settings = settings;
        Storage = storage;
    }

    public FakeWorker Worker { get; }
    public StudySettings Settings { get; }
    public IStudyStorage Storage { get; }
    public string Root => _dir.Path;

    public static async Task<CoordinatorHarness> CreateAsync(int trials, FakeWorker? worker = null, Func<StudySettings, StudySettings>? tweak = null,
        string? storageUrl = null)
    {
        var dir = new TempDirectory("coordinator");
        worker = (worker ?? new FakeWorker { Directory = "" }) is { Directory: "" } w0
            ? new FakeWorker { Directory = dir["worker"], Epochs = w0.Epochs, EpochSeconds = w0.EpochSeconds, Behaviours = w0.Behaviours, Custom = w0.Custom,
                RetrainSeconds = w0.RetrainSeconds, RetrainFails = w0.RetrainFails, RetrainStart = w0.RetrainStart, RetrainUntil = w0.RetrainUntil }
            : worker;
        worker!.Write();
        var settings = new StudySettings
        {
            Name = "test-study",
            Direction = StudyDirection.MAXIMIZE,
            Metric = "val_accuracy",
            Space = Space,
            Fixed = new Dictionary<string, object?> { ["optimizer"] = "adam" },
            Trials = trials,
            Epochs = worker.Epochs,
            StudyDirectory = dir["studies/test-study"],
            Data = new TrialDataSettings("mnist", dir["data"], 100, 200),
            TrialTimeout = TimeSpan.FromSeconds(30),
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
            HeartbeatGrace = TimeSpan.FromSeconds(5),
        };
        if (tweak is not null) settings = tweak(settings);
        var storage = await StorageFactory.OpenAsync(storageUrl ?? "sqlite:" + dir["studies/test-study/study.db"], dir.Path);
        return new CoordinatorHarness(dir, worker, settings, storage);
    }

    public async Task<(StudyInfo Study, IReadOnlyList<TrialSnapshot> Trials)> RunAsync(
        IReadOnlyList<DeviceSlot> devices, ISampler? sampler = null, IPruner? pruner = null, CancellationToken ct = default,
        IReadOnlyList<string>? command = null, ILogger? log = null)
    {
        var (study, _) = await StudyOpener.OpenAsync(Storage, Settings, "{}", ct);
        var coordinator = new StudyCoordinator(Settings, Storage, sampler ?? new RandomSampler(7), pruner ?? NopPruner.Instance,
            new DevicePool(devices), new ProcessWorkerLauncher(TimeSpan.FromSeconds(2)), new TrialCommand(command ?? Worker.Command), log ?? Log.Logger);
        return (study, await coordinator.RunAsync(study, ct));
    }

    public static IReadOnlyList<DeviceSlot> Gpus(int count) =>
        Enumerable.Range(0, count).Select(i => new DeviceSlot($"cuda:{i}", i, 1)).ToList();

    public static IReadOnlyList<DeviceSlot> Cpu(int slots = 1) =>
        Enumerable.Range(0, slots).Select(i => new DeviceSlot($"cpu:{i}", null, 1)).ToList();

    public async ValueTask DisposeAsync()
    {
        await Storage.DisposeAsync();
        _dir.Dispose();
    }
}

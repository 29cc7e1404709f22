// Fan-out benchmark: how well the coordinator keeps K devices busy. Each trial is a real child process
// (a shell script speaking the worker protocol) that sleeps through its epochs; the devices are fake GPUs,
// as in the tests. For K = 1, 2, 4, 8 it runs 4·K trials and prints the share of time the devices were
// busy and the speed-up over K = 1 (trials per second, same invocation). Targets: busy ≥ 95 %,
// speed-up ≥ 0.9·K. An untimed warm-up study (K = 1, 2 trials) runs first, so that K = 1 does not pay the process's
// one-time costs (JIT of the coordinator, storage and SQLite paths) that the later K do not: it made speed-ups above K.
using System.Diagnostics;
using System.Globalization;
using Mnist.Search.Pruning;
using Mnist.Search.Sampling;
using Mnist.Search.Scheduling;
using Mnist.Search.Space;
using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Vocabulary;
using Mnist.Search.Workers;
using Mnist.Search.Bench;
using Serilog;

const string Usage = """
    Usage: dotnet run -c Release --project bench/fanout [-- EPOCH_SECONDS]

    How well the coordinator keeps K fake GPUs busy: for K = 1, 2, 4, 8, a study of 4·K trials whose workers (real
    child processes speaking the worker protocol) sleep EPOCH_SECONDS (default 1, > 0, at most 60) through each of
    2 epochs; prints busy % and the speed-up over K = 1 of the same invocation (after an untimed warm-up study).
    Targets: busy >= 95 %, speed-up >= 0.9·K.
    """;
var cli = new BenchArgs("bench/fanout", Usage, args, valued: [], flags: [], maxPositional: 1);
var epochSeconds = cli.Positional.Count > 0 ? cli.ParseDouble("EPOCH_SECONDS", cli.Positional[0], min: 0.01, max: 60) : 1.0;
const int Epochs = 2;
var root = Path.Combine(Path.GetTempPath(), $"fanout-bench-{Environment.ProcessId}");
Directory.CreateDirectory(root);
var script = Path.Combine(root, "sleep-worker.sh");
File.WriteAllText(script, $$$"""
    #!/bin/bash
    echo "$MNIST_SEARCH_DEVICE $(date +%s.%N) start" >> "{{{root}}}/intervals.log"
    echo '{"event":"start","config":{}}'
    for e in $(seq 1 {{{Epochs}}}); do
      sleep {{{epochSeconds.ToString(CultureInfo.InvariantCulture)}}}
      echo "{\"event\":\"epoch\",\"epoch\":$e,\"train_loss\":0.1,\"val_loss\":0.1,\"val_accuracy\":0.9}"
    done
    echo "$MNIST_SEARCH_DEVICE $(date +%s.%N) end" >> "{{{root}}}/intervals.log"
    echo '{"event":"result","state":"complete","val_accuracy":0.9}'
    """);

var space = new SearchSpace([new("x", new FloatDistribution(0, 1)), new("y", new FloatDistribution(0, 1))]);
Log.Logger = new LoggerConfiguration().MinimumLevel.Warning().WriteTo.Console().CreateLogger();
Console.WriteLine($"Fan-out: fake GPUs, 4·K sleeping trials of {Epochs}×{epochSeconds:0.##} s each, real child processes, SQLite storage");
Console.WriteLine($"{"K",3} {"trials",7} {"wall s",8} {"ideal s",8} {"busy %",7} {"trials/s",9} {"speed-up",9} {"target",8}");
// Untimed: the process's first study pays JIT and first-use costs the timed ones must not (K = 1 was that run).
await RunStudy("warmup", 1, 2);
double? baseline = null;
foreach (var k in new[] { 1, 2, 4, 8 })
{
    var (wall, busy) = await RunStudy($"k{k}", k, 4 * k);
    var throughput = 4 * k / wall;
    baseline ??= throughput;
    var speedup = throughput / baseline.Value;
    Console.WriteLine($"{k,3} {4 * k,7} {wall,8:F1} {4 * Epochs * epochSeconds,8:F1} {100 * busy / (k * wall),6:F1}% {throughput,9:F2} {speedup,8:F2}x {0.9 * k,7:F1}x");
}
Directory.Delete(root, recursive: true);

// One study of `count` trials on k fake devices: its wall time and the devices' busy time (the workers' own intervals).
async Task<(double Wall, double Busy)> RunStudy(string name, int k, int count)
{
    var dir = Path.Combine(root, name);
    File.Delete(Path.Combine(root, "intervals.log"));
    var settings = new StudySettings
    {
        Name = $"fanout-{name}", Direction = StudyDirection.MAXIMIZE, Metric = "val_accuracy", Space = space,
        Trials = count, Epochs = Epochs, StudyDirectory = dir,
        Data = new TrialDataSettings("mnist", dir, 0, null),
    };
    await using var storage = await StorageFactory.OpenAsync("sqlite:" + Path.Combine(dir, "study.db"), dir);
    var (study, _) = await StudyOpener.OpenAsync(storage, settings, "{}");
    var devices = Enumerable.Range(0, k).Select(i => new DeviceSlot($"cuda:{i}", i, 1)).ToList();
    var coordinator = new StudyCoordinator(settings, storage, new RandomSampler(1), NopPruner.Instance,
        new DevicePool(devices), new ProcessWorkerLauncher(), new TrialCommand(["/bin/bash", script]), Log.Logger);
    var clock = Stopwatch.StartNew();
    var trials = await coordinator.RunAsync(study, CancellationToken.None);
    var wall = clock.Elapsed.TotalSeconds;
    if (trials.Count(t => t.State == TrialState.COMPLETE) != count) throw new InvalidOperationException($"{name}: not all trials completed");
    // Busy time = what the workers themselves measured from start to end, summed over devices.
    var busy = File.ReadAllLines(Path.Combine(root, "intervals.log"))
        .Select(l => l.Split(' ')).GroupBy(p => p[0])
        .Sum(g =>
        {
            var times = g.Select(p => (T: double.Parse(p[1], CultureInfo.InvariantCulture), Start: p[2] == "start")).OrderBy(x => x.T).ToList();
            double sum = 0, s = 0;
            foreach (var (t, start) in times) { if (start) s = t; else sum += t - s; }
            return sum;
        });
    return (wall, busy);
}

// Fan-out benchmark: how well the coordinator keeps K devices busy. Each trial is a real child process
// (a shell script speaking the worker protocol) that sleeps through its epochs; the devices are fake GPUs,
// as in the tests. For K = 1, 2, 4, 8 it runs 4·K trials and prints the share of time the devices were
// busy and the speed-up over K = 1 (trials per second, same invocation). Targets: busy ≥ 95 %,
// speed-up ≥ 0.9·K.
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
using Serilog;

var epochSeconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 1.0;
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
double? baseline = null;
foreach (var k in new[] { 1, 2, 4, 8 })
{
    var dir = Path.Combine(root, $"k{k}");
    File.Delete(Path.Combine(root, "intervals.log"));
    var settings = new StudySettings
    {
        Name = $"fanout-{k}", Direction = StudyDirection.MAXIMIZE, Metric = "val_accuracy", Space = space,
        Trials = 4 * k, Epochs = Epochs, StudyDirectory = dir,
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
    if (trials.Count(t => t.State == TrialState.COMPLETE) != 4 * k) throw new InvalidOperationException($"K={k}: not all trials completed");
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
    var throughput = 4 * k / wall;
    baseline ??= throughput;
    var speedup = throughput / baseline.Value;
    Console.WriteLine($"{k,3} {4 * k,7} {wall,8:F1} {4 * Epochs * epochSeconds,8:F1} {100 * busy / (k * wall),6:F1}% {throughput,9:F2} {speedup,8:F2}x {0.9 * k,7:F1}x");
}
Directory.Delete(root, recursive: true);

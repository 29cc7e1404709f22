using System.Globalization;
using Mnist.Search.Bench.Search;
using Mnist.Search.Config;
using Mnist.Search.Sampling;
using Mnist.Search.Vocabulary;

// Samplers on the tabular stand-in of the real objective (bench/search/table.csv, made by make_table.py):
// per sampler seed, a study of --trials trials whose proposals are snapped to the nearest tabled configuration
// and answered with one of its real seeds' values. Scored on the truth (mean over seeds) of the configuration
// the study would retrain: "best value" (the trial with the best observed value) and, for gp, "recommended"
// (GpSampler.Recommend: best posterior mean). Prints per-seed figures, mean and sd, and the paired
// difference of gp against random with its standard error.
// Options: --table CSV, --config search.json, --metric COLUMN, --seeds N (50), --trials N (12),
// --startup N (search.json's), --per-seed.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));
var table = StrArg("--table") ?? Path.Combine(root, "bench/search/table.csv");
var config = StudyConfigLoader.Load(StrArg("--config") ?? Path.Combine(root, "search.json"));
var metric = StrArg("--metric") ?? "val_accuracy_e1";
var seeds = IntArg("--seeds", 50);
var trials = IntArg("--trials", config.Budget.Trials);
var startup = IntArg("--startup", config.Sampler.StartupTrials);
var surrogate = TableSurrogate.Load(table, config.Space, metric, minSeeds: 2);

Console.WriteLine($"{table}: {surrogate.Count} configurations with >= 2 seeds; {metric}: best mean {surrogate.BestMean:F4}, median {surrogate.MedianMean:F4}, seed sd {surrogate.SeedSd:F4}");
Console.WriteLine($"{seeds} studies of {trials} trials per sampler (gp: {startup} startup trials); scored on the mean over seeds of the configuration picked");
Console.WriteLine();

var results = new Dictionary<string, double[]>();
foreach (var kind in new[] { SamplerSettings.Gp, SamplerSettings.Random })
{
    var runs = Enumerable.Range(0, seeds).Select(seed => Run(new SamplerSettings(kind, startup, seed), seed)).ToArray();
    results[$"{kind} best value"] = runs.Select(r => r.BestValue).ToArray();
    results[$"{kind} observed"] = runs.Select(r => r.Observed).ToArray();
    if (kind == SamplerSettings.Gp) results["gp recommended"] = runs.Select(r => r.Recommended).ToArray();
}

Console.WriteLine($"{"sampler / pick",-20} {"mean",8} {"sd",8} {"min",8} {"median",8} {"max",8}");
foreach (var (name, v) in results)
{
    var sorted = v.Order().ToArray();
    Console.WriteLine($"{name,-20} {v.Average(),8:F4} {Sd(v),8:F4} {sorted[0],8:F4} {sorted[sorted.Length / 2],8:F4} {sorted[^1],8:F4}");
    if (args.Contains("--per-seed")) Console.WriteLine($"  {string.Join(" ", v.Select(x => x.ToString("F4")))}");
}
Console.WriteLine();
foreach (var gpPick in new[] { "gp best value", "gp recommended" })
{
    var diff = results[gpPick].Zip(results["random best value"], (a, b) => a - b).ToArray();
    var se = Sd(diff) / Math.Sqrt(diff.Length);
    Console.WriteLine($"paired {gpPick} - random best value: {diff.Average():+0.0000;-0.0000} +- {se:F4} (SE); {diff.Average() / se:F1} SE; gp worst {results[gpPick].Min():F4} vs random median {results["random best value"].Order().ElementAt(seeds / 2):F4}");
}

(double BestValue, double Recommended, double Observed) Run(SamplerSettings settings, int seed)
{
    var sampler = SamplerFactory.Create(settings);
    var noise = new Random(7919 * seed + 1);
    var history = new List<TrialSnapshot>();
    var picked = new List<int>();
    for (var i = 0; i < trials; i++)
    {
        var proposal = sampler.Sample(config.Space, StudyDirection.MAXIMIZE, history);
        var index = surrogate.Nearest(proposal);
        picked.Add(index);
        var p = surrogate.Params(index);
        history.Add(new TrialSnapshot(i, i, TrialState.COMPLETE, surrogate.Observe(index, noise), p,
            config.Space.Parameters.ToDictionary(kv => kv.Key, kv => kv.Value), new Dictionary<int, double>(), null, null,
            new Dictionary<string, string>(), new Dictionary<string, string>()));
    }
    var best = history.MaxBy(t => t.Value)!;
    var bestTruth = surrogate.Truth(picked[best.Number]);
    var recommended = sampler is GpSampler gp ? surrogate.Truth(picked[gp.Recommend(config.Space, StudyDirection.MAXIMIZE, history)!.Value]) : bestTruth;
    return (bestTruth, recommended, best.Value!.Value);
}

static double Sd(double[] v) => Math.Sqrt(v.Select(x => (x - v.Average()) * (x - v.Average())).Sum() / Math.Max(1, v.Length - 1));

int IntArg(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
string? StrArg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

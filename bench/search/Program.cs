using System.Globalization;
using Mnist.Search.Bench;
using Mnist.Search.Bench.Search;
using Mnist.Search.Config;
using Mnist.Search.Gp;
using Mnist.Search.Pruning;
using Mnist.Search.Sampling;
using Mnist.Search.Vocabulary;

// Samplers on the tabular stand-in of the real objective (bench/search/table.csv, made by make_table.py at the
// study's fidelity: every epoch of a budget.epochs run): per sampler seed, a study of --trials trials, one at a
// time, whose proposals are snapped to the nearest tabled configuration and answered, epoch by epoch, with one of
// its real seeds' learning curves; the study's pruner (search.json, e.g. ASHA) sees every epoch, as in a real
// study. Scored on the truth of the configuration the study would retrain: by default the mean at the last epoch of
// the table's seeds the study did not observe (--truth all: of every seed, the observed one included, as before 2026-12-07):
// "best value" (the COMPLETE trial with the best observed value) and, for gp, "recommended" (GpSampler.Recommend).
// Variants: gp (fidelity-aware when a pruner is set), "gp exploit only" (plain EI on every proposal, before
// issue 9's exploration step), "gp face value" (pruned trials at their last value, the
// sampler before issue 9), "gp last epoch", "gp kriging believer", "gp worst-value lie", "gp running duplicates" (a proposal
// the believer makes on a running trial's configuration is kept, the sampler before 2026-12-05), "gp ignores running" (running
// trials are not pending points; concurrent proposals differ only by the exploration margin), "gp trial noise" (the epochs
// of a trial share a learnt noise term), "gp sliced start-up" (a sliced Latin hypercube start-up), random, and both
// without pruning at the same epoch budget.
// Prints per-variant mean, sd, min, median, max, epochs used, and paired differences against random, with how often
// a 10-seed experiment drawn from these seeds would meet issue 9's target (> 2 SE, worst seed >= random's median).
// --surrogate nearest (default: snap to the nearest tabled configuration) or knn (a smooth k-nearest-neighbour
// interpolation of the table, with real seed noise; proposals are kept as they are).
// Options: --table CSV, --config search.json, --metric PREFIX (val_accuracy), --seeds N (50), --trials N,
// --startup N (search.json's), --per-seed, --only NAME[,NAME], --trace SEED (one study's trials, per variant),
// --split-sd S (the shared per-seed shift of a study's own validation split in the target's chance; 0.0011 measured),
// --noise-scale K (observed curves' seed deviations scaled by K: a less noisy evaluation; 0.64 for 10,000 held out),
// --reshuffle-sd S (each trial its own validation split: its curve shifted by its own normal of sd S; with --split-sd 0),
// --oracle K (adds a ceiling: the table's K best configurations proposed in turn),
// --slots N (trials at once: 1, or search.json's max_concurrent as the real study runs them),
// --lengthscale-prior-rate R, --noise-prior-rate R (the GP's hyperparameter prior, for every gp variant; 4 and 30).
// --ceiling N (knn: no replay; the surrogate's truth at N quasi-random points, max and quantiles: the space's best).
// --loo (no replay: leave-one-configuration-out error of the knn stand-in, overall and in the table's top quarter).
// --truth held-out|all (what a pick is scored on: the seeds the study did not observe, default; or every seed).
// --visited (also the best truth among each study's COMPLETE trials: a perfect pick from what it ran).
// --recommend DIR... (run.sh study folders): no replay; prints per study the trial its retrain takes (best value) and
// the one GpSampler.Recommend picks.
const string Usage = """
    Usage: dotnet run -c Release --project bench/search -- [options]
           dotnet run -c Release --project bench/search -- [--noise-prior-rate R] --recommend DIR...

    Samplers replayed on bench/search/table.csv (real worker results): per seed, one study per variant, paired
    against random of the same invocation; scored on the truth of the configuration each study would retrain:
    the mean of the table's seeds the study did not observe (the other seed of two).

    Options (defaults in parentheses):
      --surrogate S              nearest (snap each proposal to the nearest tabled configuration; default) or knn
                                 (a k-nearest-neighbour blend of the table, with real seed noise)
      --table CSV                (bench/search/table.csv)
      --config FILE              the study's settings (search.json at the repository root)
      --metric PREFIX            (val_accuracy)
      --seeds N                  studies per variant (50, >= 1)
      --trials N                 trials per study (search.json's budget.trials, >= 1)
      --startup N                gp's start-up trials (search.json's sampler.startup_trials, >= 0)
      --only NAME[,NAME]         only these variants (random always runs); --help's list below
      --slots N                  trials at once (1, >= 1)
      --trace SEED               print one study's trials per variant
      --split-sd S               shared per-seed shift of a study's own validation split (0.0011, >= 0)
      --noise-scale K            scale of the observed curves' seed deviations (1, >= 0)
      --reshuffle-sd S           each trial its own validation split, shift sd S (0, >= 0; pair with --split-sd 0)
      --oracle K                 add a ceiling: the table's K best configurations in turn (0: none)
      --lengthscale-prior-rate R, --noise-prior-rate R   the GP's hyperparameter prior (the product's: 4 and 30)
      --truth T                  held-out (the seeds the study did not observe; default) or all (every seed, the
                                 observed one included: the replay's figures before 2026-12-07, biased toward samplers
                                 that pick the best of many near-top observations)
      --ceiling N                knn: no replay; the surrogate's truth (all seeds) at N quasi-random points
      --loo                      no replay: leave-one-configuration-out error of the knn stand-in (RMSE, Spearman;
                                 all configurations and the table's top quarter)
      --visited                  also score each study by the best truth among its COMPLETE trials (it selects on
                                 the truth itself: with --truth held-out, on the held-out seed's luck; read it with
                                 --truth all)
      --per-seed                 print every seed's value
      --recommend DIR...         no replay: for run.sh study folders (search.json + study.db), the trial the retrain
                                 takes and the one GpSampler.Recommend picks; must come last
      --help                     this text
    Variants: gp, random, tpe; with a pruner also gp exploit only, gp last epoch, gp kriging believer, gp worst-value lie,
    gp running duplicates, gp ignores running, gp trial noise, gp sliced start-up, gp face value, gp no pruning,
    random no pruning.
    """;
var cli = new BenchArgs("bench/search", Usage, args,
    valued: ["--table", "--config", "--metric", "--seeds", "--trials", "--startup", "--only", "--trace", "--split-sd", "--noise-scale",
        "--reshuffle-sd", "--oracle", "--slots", "--lengthscale-prior-rate", "--noise-prior-rate", "--ceiling", "--surrogate", "--truth"],
    flags: ["--per-seed", "--visited", "--loo"], restOption: "--recommend");
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));
var surrogateKind = cli.Choice("--surrogate", "nearest", "nearest", "knn");
// A pick's truth leaves out the seed the study observed, so the luck that made it the best observed value does not
// score it (see TableSurrogate); "all" reproduces the figures published before 2026-12-07.
var heldOutTruth = cli.Choice("--truth", "held-out", "held-out", "all") == "held-out";
var table = cli.Str("--table") ?? Path.Combine(root, "bench/search/table.csv");
if (!cli.Has("--recommend") && !File.Exists(table)) cli.Fail($"--table {table}: no such file (bench/search/make_table.py makes it)");
var config = LoadConfig(cli.Str("--config") ?? Path.Combine(root, "search.json"), "--config");
var metric = cli.Str("--metric") ?? "val_accuracy";
var seeds = cli.Int("--seeds", 50, min: 1);
var trials = cli.Int("--trials", config.Budget.Trials, min: 1);
var startup = cli.Int("--startup", config.Sampler.StartupTrials, min: 0);
var epochs = config.Budget.Epochs;
// The GP's hyperparameter prior: the product's unless given (every gp variant, and --recommend's model).
var fitOptions = new GpFitOptions(
    LengthscalePriorRate: cli.Double("--lengthscale-prior-rate", HyperparameterPrior.LengthscaleRate, min: double.Epsilon),
    NoisePriorRate: cli.Double("--noise-prior-rate", HyperparameterPrior.NoiseRate, min: double.Epsilon));
if (cli.Has("--recommend"))
{
    // For real studies (run.sh folders, given after --recommend): the trial the retrain takes (best value), the
    // one GpSampler.Recommend would pick (best posterior mean among the values within two noise sd of the best), and
    // the share of the standardized values' variance the GP fitted on the whole study reads as noise
    // (noise / (noise + signal variance)); with --noise-prior-rate, under another prior.
    foreach (var dir in cli.Rest)
        if (!File.Exists(Path.Combine(dir, "search.json")) || !File.Exists(Path.Combine(dir, "study.db")))
            cli.Fail($"--recommend {dir}: not a bench/search/run.sh study folder (needs search.json and study.db)");
    Console.WriteLine("study best_value_trial recommended_trial noise_share");
    foreach (var dir in cli.Rest)
    {
        var study = LoadConfig(Path.Combine(dir, "search.json"), "--recommend");
        await using var storage = await Mnist.Search.Storage.SqliteStudyStorage.OpenReadOnlyAsync(Path.Combine(dir, "study.db"));
        var info = await storage.GetStudyAsync(study.Study) ?? throw new InvalidOperationException($"{dir}: no study {study.Study}");
        var history = await storage.GetAllTrialsAsync(info.Id);
        // The study's own GP (fidelities, seed, start-up as the coordinator builds it), also for a random study.
        var built = (GpSampler)Mnist.Search.Cli.ConfigMapping.Sampler(study with { Sampler = study.Sampler with { Kind = SamplerKind.Gp } });
        var model = new GpSampler(built.Settings, fitOptions, new AcquisitionOptions());
        var fitted = model.Fitted(study.Space, StudyDirection.MAXIMIZE, history);
        var share = fitted is null ? "-" : (fitted.NoiseVariance / (fitted.NoiseVariance + fitted.Scale)).ToString("F3");
        Console.WriteLine($"{dir} {BestTrial.Of(history, StudyDirection.MAXIMIZE)?.Number} {model.Recommend(study.Space, StudyDirection.MAXIMIZE, history)} {share}");
    }
    return;
}
var surrogate = TableSurrogate.Load(table, config.Space, metric, epochs, minSeeds: 2);
var pruner = Mnist.Search.Cli.ConfigMapping.Pruner(config);
var pruning = config.Pruner.Kind != PrunerKind.None;
var knn = surrogateKind == "knn";
var traceSeed = cli.Int("--trace", -1);
// Trials training at once (search.json's budget.max_concurrent in a real study). 1, the default, is the sequential
// replay every figure before 2026-12-04 was measured with.
var slots = cli.Int("--slots", 1, min: 1);
const int TargetSeeds = 10; // issue 9: paired over >= 10 seeds
// The table holds one validation split; a real study holds out its own (dataset.split_seed: the sampler seed unless
// set), which moves both samplers' best observed values of that seed together. Measured on bench/search/run.sh's
// own-split seeds 42-55 (2026-12-02): gp and random correlate 0.72 over seeds, a shared shift of sd 0.0011
// (sqrt of their covariance); with one split for every seed, 0.11 and 0.58 in two runs. The chance of issue 9's target is printed with
// it too, since the worst-seed half judges the split as much as the sampler. --split-sd 0 leaves it out.
var splitSd = cli.Double("--split-sd", 0.0011, min: 0);
// A less noisy evaluation than the table's (e.g. a larger validation hold-out): each observed curve's deviation from
// its configuration's mean curve is scaled by this. 10,000 images held out instead of 5,000 measured 0.64 among good
// configurations (seed sd 0.0014 -> 0.0009, results/20261202T182300-holdout-10k-check.txt); pair it with --split-sd.
var noiseScale = cli.Double("--noise-scale", 1, min: 0);
// --reshuffle-sd S: every trial holds out its own validation images (the split reshuffled per trial, Nagler et al. 2024)
// instead of the study's one split: each trial's curve moves by its own normal shift of sd S (the split's effect, the same
// at every epoch of the trial), and no shift is shared by a seed's two studies (pair it with --split-sd 0).
var reshuffleSd = cli.Double("--reshuffle-sd", 0, min: 0);
// --visited: also score each study by the best truth among its COMPLETE trials, the pick a perfect selection would make:
// how much of a sampler's distance to the --oracle ceiling is the search (never trained the best configurations to the
// end) and how much the pick (trained one, retrained another that was luckier once). It selects on the truth, so with the
// held-out truth (one seed) it picks that seed's luck: +0.0013 over gp's pick on 2026-12-07 against +0.0002 with --truth all.
var visited = cli.Has("--visited");

// --ceiling N: no replay; the knn surrogate's truth at N quasi-random points of the space (max and upper quantiles): the best
// configuration the space holds at this fidelity, against which a sampler's pick (its "best value" truth) can be read. The
// tabled configurations' own truths (--oracle) are two-seed means, partly lucky; the knn blend of them is not.
if (cli.Int("--ceiling", 0, min: 0) is var ceiling and > 0)
{
    if (!knn) cli.Fail("--ceiling needs --surrogate knn");
    var rng = new Random(3);
    var truthsAt = Enumerable.Range(0, ceiling)
        .Select(i => surrogate.ObserveAt(QuasiRandomStartup.Sample(config.Space, 99, i), rng, heldOut: false).Truth).Order().ToArray();
    double Quantile(double q) => truthsAt[Math.Min(truthsAt.Length - 1, (int)(q * truthsAt.Length))];
    Console.WriteLine($"knn truth at {ceiling} quasi-random points: max {truthsAt[^1]:F4}, 99.9 % {Quantile(0.999):F4}, 99 % {Quantile(0.99):F4}, " +
        $"95 % {Quantile(0.95):F4}, median {Quantile(0.5):F4}");
    return;
}

// --loo: no replay; how well the knn stand-in predicts a configuration it has not seen, from its 4 nearest tabled
// neighbours (ObserveAt's blend). Reported overall and in the table's top quarter by truth, where gp and random are
// told apart; against the noise of a two-seed mean (seed sd / sqrt 2), the floor no stand-in of this table can beat.
if (cli.Has("--loo"))
{
    if (!knn) cli.Fail("--loo needs --surrogate knn");
    var loo = surrogate.LeaveOneOut();
    var threshold = loo.Select(p => p.Truth).Order().ElementAt(loo.Length * 3 / 4);
    Console.WriteLine($"{table}: {loo.Length} configurations; leave-one-configuration-out, each predicted from its 4 nearest others (inverse squared distance)");
    Console.WriteLine("RMSE: prediction - truth; truth noise: the sd of a configuration's truth itself (a mean of its seeds), in RMSE's units");
    Console.WriteLine($"{"configurations",-34} {"n",4} {"RMSE",8} {"bias",8} {"Spearman",9} {"truth noise",12}");
    void Report(string name, (double Truth, double Predicted, double TruthVariance)[] set) =>
        Console.WriteLine($"{name,-34} {set.Length,4} {Math.Sqrt(set.Average(p => (p.Predicted - p.Truth) * (p.Predicted - p.Truth))),8:F4} " +
            $"{set.Average(p => p.Predicted - p.Truth),8:+0.0000;-0.0000} {Spearman(set.Select(p => p.Truth).ToArray(), set.Select(p => p.Predicted).ToArray()),9:F3} " +
            $"{Math.Sqrt(set.Average(p => p.TruthVariance)),12:F4}");
    Report("all", loo);
    Report($"top quarter (truth >= {threshold:F4})", loo.Where(p => p.Truth >= threshold).ToArray());
    Report("truth >= 0.975", loo.Where(p => p.Truth >= 0.975).ToArray());
    Console.WriteLine("the 10 best by truth: truth -> predicted");
    Console.WriteLine("  " + string.Join(", ", loo.OrderByDescending(p => p.Truth).Take(10).Select(p => $"{p.Truth:F4} -> {p.Predicted:F4}")));
    return;
}

// "gp exploit only" differs from "gp" only by its exploration margin, "gp last epoch" only by its observations, "gp trial
// noise" only by the noise term a trial's epochs share,
// "gp kriging believer" and "gp worst-value lie" only by the value running trials are conditioned on (always the GP's
// prediction / always the worst value, where gp switches from the lie to the prediction at two running trials; with
// --slots 2 or more), "gp ignores running" only by leaving running trials out: they take these settings.
SamplerSettings GpSettings(int seed) => new(SamplerSettings.Gp, startup, seed, pruning ? epochs : 0);
GpSampler Gp(int seed) => new(GpSettings(seed), fitOptions, new AcquisitionOptions());
var variants = new List<(string Name, Func<int, ISampler> Create, IPruner Pruner, bool SameEpochs)>
{
    ("gp", s => Gp(s), pruner, false),
    ("random", s => SamplerFactory.Create(new SamplerSettings(SamplerSettings.Random, startup, s)), pruner, false),
    ("tpe", s => SamplerFactory.Create(new SamplerSettings(SamplerSettings.Tpe, startup, s)), pruner, false),
};
if (pruning)
{
    variants.Add(("gp exploit only", s => new GpSampler(GpSettings(s), fitOptions, new AcquisitionOptions()) { ExplorationMargin = 0 }, pruner, false));
    variants.Add(("gp last epoch", s => new GpSampler(GpSettings(s), fitOptions, new AcquisitionOptions()) { EveryEpoch = false }, pruner, false));
    variants.Add(("gp kriging believer", s => new GpSampler(GpSettings(s), fitOptions, new AcquisitionOptions()) { BelieveFromRunning = 1 }, pruner, false));
    variants.Add(("gp worst-value lie", s => new GpSampler(GpSettings(s), fitOptions, new AcquisitionOptions()) { BelieveFromRunning = int.MaxValue }, pruner, false));
    variants.Add(("gp running duplicates", s => new GpSampler(GpSettings(s), fitOptions, new AcquisitionOptions()) { AllowRunningDuplicates = true }, pruner, false));
    variants.Add(("gp ignores running", s => new GpSampler(GpSettings(s), fitOptions, new AcquisitionOptions()) { ConditionOnRunning = false }, pruner, false));
    variants.Add(("gp trial noise", s => new GpSampler(GpSettings(s), fitOptions, new AcquisitionOptions()) { TrialNoise = true }, pruner, false));
    variants.Add(("gp sliced start-up", s => new GpSampler(GpSettings(s), fitOptions, new AcquisitionOptions()) { SlicedStartup = true }, pruner, false));
    variants.Add(("gp face value", s => SamplerFactory.Create(new SamplerSettings(SamplerSettings.Gp, startup, s)), pruner, false));
    variants.Add(("gp no pruning", s => SamplerFactory.Create(new SamplerSettings(SamplerSettings.Gp, startup, s)), NopPruner.Instance, true));
    variants.Add(("random no pruning", s => SamplerFactory.Create(new SamplerSettings(SamplerSettings.Random, startup, s)), NopPruner.Instance, true));
}
// --oracle K: a ceiling, not a sampler. It knows the table and proposes its K best configurations by truth in turn,
// under the same pruner and noise: about the best any sampler could do on the table at this budget (an upper bound: the
// table's truths are two-seed means, so its best configurations are partly lucky). Its observed-value line says how
// often issue 9's worst-seed half could be met at all. Asked for by name, so --only never leaves it out.
var oracleK = cli.Int("--oracle", 0, min: 0);
var oracle = oracleK > 0 ? $"oracle top {oracleK}" : null;
if (oracle is not null) variants.Add((oracle, _ => new OracleSampler(surrogate, oracleK), pruner, false));
var only = cli.Str("--only")?.Split(',').Append(oracle ?? "").ToArray();
foreach (var name in cli.Str("--only")?.Split(',') ?? [])
    if (!variants.Any(v => v.Name == name))
        cli.Fail($"--only '{name}': no such variant{(pruning ? "" : " (this config has no pruner)")}; one of: {string.Join(", ", variants.Select(v => v.Name))}");
Console.WriteLine($"{table}: {surrogate.Count} configurations with >= 2 seeds; {metric} at epoch {epochs}: best mean {surrogate.BestMean:F4}, median {surrogate.MedianMean:F4}, seed sd {surrogate.SeedSd:F4}");
Console.WriteLine($"{seeds} studies of {trials} trials per variant (surrogate {surrogateKind}; gp: {startup} startup trials; pruner {config.Pruner.Kind}; noise scale {noiseScale}; slots {slots})");
Console.WriteLine(heldOutTruth
    ? "truth of a pick: the mean of the table's seeds the study did not observe (the other seed of two; --truth all: every seed, as before 2026-12-07)"
    : "truth of a pick: the mean of every seed, the observed one included (--truth all: biased toward samplers that pick the best of many near-top observations)");
Console.WriteLine();
var results = new Dictionary<string, double[]>();
var observed = new Dictionary<string, double[]>(); // the best observed value: what bench/search/run.sh reports of a real study
var epochsUsed = new Dictionary<string, double>();
var pruningEpochs = 0.0;
foreach (var (name, create, variantPruner, sameEpochs) in variants)
{
    if (only is not null && !only.Contains(name) && name != "random") continue;
    // Without pruning, the same epochs as the pruned random studies used buy fewer, full trials.
    var n = sameEpochs ? Math.Max(2, (int)Math.Round(pruningEpochs / epochs)) : trials;
    var runs = Enumerable.Range(0, seeds).Select(seed => Run(create(seed), variantPruner, n, seed)).ToArray();
    results[$"{name} best value"] = runs.Select(r => r.BestValue).ToArray();
    observed[name] = runs.Select(r => r.Observed).ToArray();
    if (name.StartsWith("gp", StringComparison.Ordinal)) results[$"{name} recommended"] = runs.Select(r => r.Recommended).ToArray();
    if (visited) results[$"{name} best visited"] = runs.Select(r => r.BestVisited).ToArray();
    epochsUsed[name] = runs.Average(r => r.Epochs);
    if (name == "random") pruningEpochs = epochsUsed[name];
}

Console.WriteLine($"{"variant / pick",-32} {"mean",8} {"sd",8} {"min",8} {"median",8} {"max",8}");
foreach (var (name, v) in results)
{
    var sorted = v.Order().ToArray();
    Console.WriteLine($"{name,-32} {v.Average(),8:F4} {Sd(v),8:F4} {sorted[0],8:F4} {Median(v),8:F4} {sorted[^1],8:F4}");
    if (cli.Has("--per-seed")) Console.WriteLine($"  {string.Join(" ", v.Select(x => x.ToString("F4")))}");
}
Console.WriteLine();
Console.WriteLine("epochs per study: " + string.Join(", ", epochsUsed.Select(kv => $"{kv.Key} {kv.Value:F1}")));
var randomBest = results["random best value"];
foreach (var pick in results.Keys.Where(k => k != "random best value"))
{
    Console.WriteLine($"paired {pick} - random best value: {Paired(results[pick], randomBest)}");
}
// Every other pick against gp's, paired by seed too (e.g. gp - tpe), so no published comparison is computed by hand.
if (results.TryGetValue("gp best value", out var gpBest))
    foreach (var pick in results.Keys.Where(k => k is not "gp best value" and not "random best value"))
        Console.WriteLine($"paired gp best value - {pick}: {PairedDifference(gpBest, results[pick])}");
Console.WriteLine();
Console.WriteLine("best observed value (noisy, as a real study reports it):");
foreach (var (name, v) in observed.Where(kv => kv.Key != "random"))
{
    Console.WriteLine($"{name,-24} mean {v.Average():F4} (random {observed["random"].Average():F4}); paired {Paired(v, observed["random"])}");
    if (splitSd > 0)
    {
        var own = TargetChance(v, observed["random"], splitSd);
        Console.WriteLine($"{"",-24} with each seed's own split (shared shift sd {splitSd:F4}): of {TargetSeeds}-seed draws, {own.Gap:P0} are > 2 SE, " +
            $"{own.Worst:P0} have worst >= random median, {own.Both:P0} both");
    }
}

(double BestValue, double Recommended, int Epochs, double Observed, double BestVisited) Run(ISampler sampler, IPruner studyPruner, int n, int seed)
{
    // Event by event, as the coordinator runs a study: up to `slots` trials train at once, each epoch taking its
    // configuration's measured time (the nearest tabled configuration's); whenever a slot is free the sampler proposes
    // with every trial so far, the running ones with the epochs they have reported (the GP's pending points), and after
    // every epoch the pruner judges the trial against all the others. With one slot this is the sequential study.
    var noise = new Random(7919 * seed + 1);
    var distributions = config.Space.Parameters.ToDictionary(kv => kv.Key, kv => kv.Value);
    var finished = new List<TrialSnapshot>();
    var running = new List<LiveTrial>();
    var truths = new List<double>();
    var used = 0;
    var clock = 0.0;
    TrialSnapshot Snapshot(LiveTrial t, TrialState state, double? value) => new(t.Number, t.Number, state, value, t.At, distributions,
        new Dictionary<int, double>(t.Values), null, null, new Dictionary<string, string>(), new Dictionary<string, string>());
    List<TrialSnapshot> Trials() => [.. finished.Concat(running.Select(t => Snapshot(t, TrialState.RUNNING, null))).OrderBy(t => t.Number)];
    while (truths.Count < n || running.Count > 0)
    {
        while (running.Count < slots && truths.Count < n)
        {
            var proposal = sampler.Sample(config.Space, StudyDirection.MAXIMIZE, Trials());
            double[] curve;
            IReadOnlyDictionary<string, double> at;
            if (knn)
            {
                (curve, var truth) = surrogate.ObserveAt(proposal, noise, noiseScale: noiseScale, heldOut: heldOutTruth);
                truths.Add(truth);
                at = proposal;
            }
            else
            {
                var index = surrogate.Nearest(proposal);
                (curve, var seen) = surrogate.Observe(index, noise, noiseScale);
                truths.Add(surrogate.Truth(index, heldOutTruth ? seen : null));
                at = surrogate.Params(index);
            }
            if (reshuffleSd > 0)
            {
                var shift = reshuffleSd * Normal(noise);
                curve = curve.Select(v => v + shift).ToArray();
            }
            var epochSeconds = surrogate.EpochSeconds(surrogate.Nearest(at));
            running.Add(new LiveTrial(truths.Count - 1, at, curve, epochSeconds) { Clock = clock + epochSeconds });
        }
        var next = running.MinBy(t => t.Clock)!;
        clock = next.Clock;
        next.Values[next.Values.Count + 1] = next.Curve[next.Values.Count];
        used++;
        var epoch = next.Values.Count;
        TrialState? end = epoch == epochs ? TrialState.COMPLETE
            : studyPruner.ShouldPrune(Snapshot(next, TrialState.RUNNING, null), Trials(), StudyDirection.MAXIMIZE) ? TrialState.PRUNED : null;
        if (end is { } state)
        {
            running.Remove(next);
            finished.Add(Snapshot(next, state, next.Values[epoch]));
        }
        else next.Clock += next.EpochSeconds;
    }
    var history = finished.OrderBy(t => t.Number).ToList();
    var best = history.Where(t => t.State == TrialState.COMPLETE).MaxBy(t => t.Value)!;
    var bestTruth = truths[best.Number];
    var recommended = sampler is GpSampler gp && gp.Recommend(config.Space, StudyDirection.MAXIMIZE, history) is { } r ? truths[r] : bestTruth;
    if (traceSeed == seed)
    {
        Console.WriteLine($"-- {sampler.GetType().Name} seed {seed}: trial, state, epochs, observed, truth, configuration");
        foreach (var t in history)
            Console.WriteLine($"{t.Number,3} {t.State,-8} {t.IntermediateValues.Count} {t.Value:F4} {truths[t.Number]:F4} {(t.Number == best.Number ? "*" : " ")} " +
                string.Join(" ", t.Params.Select(kv => $"{kv.Key}={kv.Value:G3}")));
    }
    var bestVisited = history.Where(t => t.State == TrialState.COMPLETE).Max(t => truths[t.Number]);
    return (bestTruth, recommended, used, best.Value!.Value, bestVisited);
}

// Paired by seed: mean difference, its standard error, the sampler's worst seed against random's median, and how
// often an experiment of TargetSeeds paired seeds drawn from these (with replacement) would meet issue 9's target.
static string Paired(double[] picks, double[] random)
{
    var diff = picks.Zip(random, (a, b) => a - b).ToArray();
    var se = Sd(diff) / Math.Sqrt(diff.Length);
    var chance = TargetChance(picks, random);
    return $"{diff.Average():+0.0000;-0.0000} +- {se:F4} (SE); {diff.Average() / Math.Max(se, 1e-12):F1} SE; worst {picks.Min():F4} vs random median {Median(random):F4}; " +
        $"of {TargetSeeds}-seed draws, {chance.Gap:P0} are > 2 SE, {chance.Worst:P0} have worst >= random median, {chance.Both:P0} both (issue 9's target)";
}

// Paired by seed, a - b: mean difference, its standard error, and on how many seeds a is ahead / behind.
static string PairedDifference(double[] a, double[] b)
{
    var diff = a.Zip(b, (x, y) => x - y).ToArray();
    var se = Sd(diff) / Math.Sqrt(diff.Length);
    return $"{diff.Average():+0.00000;-0.00000} +- {se:F5} (SE); {diff.Average() / Math.Max(se, 1e-12):F1} SE; ahead on {diff.Count(d => d > 0)}, behind on {diff.Count(d => d < 0)} of {diff.Length}";
}

// Issue 9's target on one experiment: mean paired difference above 2 SE, and the sampler's worst seed at or above
// random's median. Resampled 2,000 times (fixed seed): the chance that a real run of TargetSeeds seeds meets it, if
// these seeds are what the real objective does. Why: a 10-seed real run costs an hour; this says beforehand whether
// it can be expected to meet the target or only to be lucky. splitSd > 0 adds to each drawn seed a normal shift shared by
// both samplers: that seed's validation split (see --split-sd).
static (double Gap, double Worst, double Both) TargetChance(double[] picks, double[] random, double splitSd = 0)
{
    var rng = new Random(12345);
    var (gap, worst, met) = (0, 0, 0);
    const int draws = 2000;
    for (var d = 0; d < draws; d++)
    {
        var idx = Enumerable.Range(0, TargetSeeds).Select(_ => rng.Next(picks.Length)).ToArray();
        var shift = idx.Select(_ => splitSd * Normal(rng)).ToArray();
        var p = idx.Select((i, k) => picks[i] + shift[k]).ToArray();
        var r = idx.Select((i, k) => random[i] + shift[k]).ToArray();
        var diff = p.Zip(r, (a, b) => a - b).ToArray();
        var se = Sd(diff) / Math.Sqrt(diff.Length);
        var (g, w) = (diff.Average() > 2 * se, p.Min() >= Median(r));
        if (g) gap++;
        if (w) worst++;
        if (g && w) met++;
    }
    return (gap / (double)draws, worst / (double)draws, met / (double)draws);
}

static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

static double Median(double[] v)
{
    var sorted = v.Order().ToArray();
    return (sorted[(sorted.Length - 1) / 2] + sorted[sorted.Length / 2]) / 2;
}

// Spearman's rank correlation (ties take their mean rank).
static double Spearman(double[] a, double[] b)
{
    static double[] Ranks(double[] v)
    {
        var order = v.Select((x, i) => (x, i)).OrderBy(t => t.x).ToArray();
        var ranks = new double[v.Length];
        for (var i = 0; i < order.Length;)
        {
            var j = i;
            while (j + 1 < order.Length && order[j + 1].x == order[i].x) j++;
            for (var m = i; m <= j; m++) ranks[order[m].i] = (i + j) / 2.0;
            i = j + 1;
        }
        return ranks;
    }
    var (ra, rb) = (Ranks(a), Ranks(b));
    var (ma, mb) = (ra.Average(), rb.Average());
    var cov = ra.Zip(rb, (x, y) => (x - ma) * (y - mb)).Sum();
    return cov / Math.Sqrt(ra.Sum(x => (x - ma) * (x - ma)) * rb.Sum(y => (y - mb) * (y - mb)));
}

static double Sd(double[] v) => Math.Sqrt(v.Select(x => (x - v.Average()) * (x - v.Average())).Sum() / Math.Max(1, v.Length - 1));

StudyConfig LoadConfig(string path, string option)
{
    if (!File.Exists(path)) cli.Fail($"{option} {path}: no such file");
    try { return StudyConfigLoader.Load(path); }
    catch (ConfigException e) { cli.Fail($"{option}: {e.Message}"); return null!; }
}

/// <summary>Proposes the table's K best configurations (by truth) in turn: the ceiling of --oracle.</summary>
sealed class OracleSampler(TableSurrogate surrogate, int k) : ISampler
{
    private readonly IReadOnlyList<int> _best = surrogate.ByTruth.Take(k).ToList();

    public IReadOnlyDictionary<string, double> Sample(Mnist.Search.Space.SearchSpace space, StudyDirection direction, IReadOnlyList<TrialSnapshot> trials) =>
        surrogate.Params(_best[trials.Count % _best.Count]);
}

/// <summary>A replayed trial that is still training: its whole curve is drawn when it starts, revealed epoch by epoch.</summary>
internal sealed record LiveTrial(int Number, IReadOnlyDictionary<string, double> At, double[] Curve, double EpochSeconds)
{
    public Dictionary<int, double> Values { get; } = new();

    /// <summary>When its next epoch ends, in replayed seconds.</summary>
    public double Clock { get; set; }
}

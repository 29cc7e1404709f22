#!/usr/bin/env python3
"""Which search found the better configuration? Trains the configuration each search of bench/search/run.sh chose
(our studies: the retrained trial's hyperparameters from best/spec.json, or without a retrain those of the trial
`study best` names, the one a retrain would take; the Optuna-TPE + PyTorch reference: its best_params from optuna-SEED.json, a
two-block network) with the same trainer, the real Trials worker, on the same
images: the default study's fidelity (budget.epochs epochs on dataset.train_subset images, its validation hold-out
with one split seed for all), several training seeds each, two runs at a time on one thread each. The search runs'
own validation scores do not compare (other trainers, fidelities and hold-outs); this does, and reads no test image.

    python3 bench/search/cross_check.py [--seeds 44,45,46] [--train-seeds 1,2,3] [--out-dir bench/out/search]
                                        [--only optuna] [--workers 2] [--samplers gp,optuna] [--pick chosen|max-single|recommend]
                                        [--split-seed N] [--table-top K]

Every run's result is kept in OUT_DIR/cross-check-cache.json, keyed by everything the worker is given and by the
worker's sources at the commit the built worker is stamped with (the binary's own hash while they have uncommitted
changes). The worker is deterministic on one CPU thread, so the reference's configurations are trained once and a new
gp run only trains its own choices; `--only optuna` trains the reference's side alone (e.g. while gp studies still
run), printing nothing.

Prints per study seed the mean validation accuracy of each configuration and the difference gp - optuna (or gp -
random with --samplers gp,random: the truth of each study's choice rather than its one lucky seed), then the mean
difference and its standard error over the study seeds.

--table-top K judges no study: the K best configurations of bench/search/table.csv (by their tabled mean, two seeds on the
table's own hold-out) trained the same way, on the same images and training seeds as the studies' choices: the best
configurations the space is known to hold, their tabled means freed of the luck that ranked them first. Against the
studies' choices' truth it says how far from the real objective's ceiling a search ends.
"""
import argparse, concurrent.futures, csv, functools, hashlib, json, math, os, re, shutil, statistics, subprocess, sys, tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WORKER = os.path.join(ROOT, "Trials", "bin", "Release", "net10.0", "Trials")
SEARCH = os.path.join(ROOT, "Search", "bin", "Release", "net10.0", "Search.dll")
# What the worker is built from (its projects and the build settings they share). The build stamps the commit into
# the assembly, so the binary's own hash changed with every commit, even one touching only docs, and the cache was
# trained again from scratch (an hour of two cores for 10 seeds of two samplers).
WORKER_SOURCES = ["Trials", "Protocol", "Inference", "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props"]


def worker_id():
    """Part of every cached result's key, so another trainer never answers from an older one's results: the git
    object ids of the worker's sources at the commit the built worker is stamped with, when the working tree has no
    uncommitted changes to them; otherwise the hash of the built worker itself."""
    if not os.path.exists(WORKER + ".dll"):
        return "none"
    binary = open(WORKER + ".dll", "rb").read()
    stamp = re.search(rb"\+([0-9a-f]{40})", binary)
    try:
        dirty = subprocess.run(["git", "status", "--porcelain", "--", *WORKER_SOURCES], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout.strip()
        if stamp and not dirty:
            commit = stamp.group(1).decode()
            ids = subprocess.run(["git", "rev-parse", *[f"{commit}:{p}" for p in WORKER_SOURCES]], cwd=ROOT,
                                 capture_output=True, text=True, check=True).stdout.split()
            return "src-" + hashlib.sha256(" ".join(ids).encode()).hexdigest()[:16]
    except (OSError, subprocess.CalledProcessError):
        pass
    return hashlib.sha256(binary).hexdigest()[:16]


WORKER_ID = worker_id()


def study_choice(out_dir, kind, seed, pick="chosen"):
    """The hyperparameters a run.sh study chose: the retrained trial's, else the trial `study best` names (the one a
    retrain would take: the best mean of the repeated candidates, or the best single value).
    pick="max-single": instead the COMPLETE trial with the best single value, repeats included (the rule before
    selection), so the two rules can be compared on the same studies. pick="recommend": the trial GpSampler.Recommend
    names (the best posterior mean at full fidelity among the COMPLETE trials within two noise sd of the best value;
    the study's own GP, also for a random study), printed by `bench/search -- --recommend DIR`.
    A trial's hyperparameters are its spec.json's or, for a study unpacked from a results archive (study.db and
    search.json only), the study's fixed ones with the trial's parameters from the database."""
    root = os.path.join(out_dir, f"{kind}-{seed}")
    name = f"bench-{kind}-{seed}"
    study_dir = os.path.join(root, "studies", name)
    storage = f"sqlite:{os.path.join(root, 'study.db')}"

    def search(*args):
        return subprocess.run(["dotnet", SEARCH, *args, "--storage", storage, "--format", "json"], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, check=True).stdout

    def hyperparameters(number, row=None):
        """row: the trial's line of `trials list`, when the caller has it already."""
        spec = os.path.join(study_dir, "trials", str(number), "spec.json")
        if os.path.exists(spec):
            return json.load(open(spec))["hyperparameters"]
        config = json.load(open(os.path.join(root, "search.json")))
        row = row or next(t for t in json.loads(search("trials", "list", name)) if t["number"] == number)
        return {**config.get("fixed", {}), **{k: row["params"][k] for k in config["space"]}}

    if pick == "max-single":
        complete = json.loads(search("trials", "list", name, "--state", "COMPLETE"))
        best = min(complete, key=lambda t: (-t["value"], t["number"]))
        return hyperparameters(best["number"], best)
    if pick == "recommend":
        line = subprocess.run(["dotnet", search_bench(), "--recommend", root], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, check=True)
        return hyperparameters(int(line.stdout.split()[-1]))
    retrained = os.path.join(study_dir, "best", "spec.json")
    if os.path.exists(retrained):
        return json.load(open(retrained))["hyperparameters"]
    return hyperparameters(json.loads(search("study", "best", name))["number"])


@functools.cache
def search_bench():
    """bench/search's program, built once per invocation (a `dotnet run` per study re-checked the build each time)."""
    project = os.path.join(ROOT, "bench", "search")
    subprocess.run(["dotnet", "build", "-c", "Release", "-nologo", "-v", "q", project], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, check=True)
    return os.path.join(project, "bin", "Release", "net10.0", "SearchBench.dll")


def split_seed(study):
    """The validation hold-out's seed: dataset.split_seed, else the sampler's seed (as the coordinator does)."""
    return study["dataset"].get("split_seed", study["sampler"]["seed"])


def held_out(study, seed):
    """The study settings with the validation hold-out of split seed `seed` (None: as they are)."""
    return study if seed is None else {**study, "dataset": {**study["dataset"], "split_seed": seed}}


def train(hp, seed, study, work, cache):
    data = study["dataset"]
    key = json.dumps({"worker": WORKER_ID, "hp": hp, "seed": seed, "split_seed": split_seed(study), "epochs": study["budget"]["epochs"],
                      "train_subset": data["train_subset"], "validation": data["validation"]}, sort_keys=True)
    if key in cache:
        return cache[key]
    out = tempfile.mkdtemp(dir=work)
    spec = {
        "hyperparameters": hp, "epochs": study["budget"]["epochs"], "seed": seed, "split_seed": split_seed(study),
        "dataset": data.get("name", "mnist"), "data_dir": os.path.join(ROOT, data["dir"]), "device": "cpu", "threads": 1,
        "out_dir": out, "train_subset": data["train_subset"], "validation": data["validation"],
    }
    path = os.path.join(out, "spec.json")
    json.dump(spec, open(path, "w"))
    p = subprocess.run([WORKER, "run", "--spec", path], stdin=subprocess.DEVNULL, capture_output=True, text=True)
    result = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")][-1]
    if p.returncode != 0 or result.get("event") != "result":
        raise SystemExit(f"worker exit {p.returncode}: {p.stdout[-300:]} {p.stderr[-300:]}")
    cache[key] = result["val_accuracy"]
    return cache[key]


def table_top(k, study):
    """The k best configurations of bench/search/table.csv by their mean at the study's last epoch (over >= 2 seeds),
    as worker hyperparameters: (config_id, tabled mean, hyperparameters)."""
    rows = list(csv.DictReader(open(os.path.join(ROOT, "bench", "search", "table.csv"))))
    column, space = f"val_accuracy_e{study['budget']['epochs']}", study["space"]
    by_config = {}
    for row in rows:
        by_config.setdefault(row["config_id"], []).append(row)
    def value(name, text):
        kind = space[name]["type"]
        return int(float(text)) if kind == "int" or (kind == "categorical" and float(text).is_integer()) else float(text)
    ranked = sorted(((statistics.mean(float(r[column]) for r in runs), cid, runs[0]) for cid, runs in by_config.items()
                     if len(runs) >= 2), reverse=True)[:k]
    return [(cid, mean, {**study.get("fixed", {}), **{n: value(n, row[n]) for n in space}}) for mean, cid, row in ranked]


def save(cache, path):
    with open(path + ".tmp", "w") as f:
        json.dump(cache, f, indent=0, sort_keys=True)
    os.replace(path + ".tmp", path)


def fail(message):
    """One line, exit 2: a missing input or a bad argument, before anything is trained."""
    print(f"cross_check.py: {message}", file=sys.stderr)
    sys.exit(2)


def seed_list(text):
    try:
        return [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}': not a comma-separated list of integers")


def check_inputs(a, other):
    """Everything the comparison reads, named with the command that makes it, before the first model is trained."""
    if not os.path.exists(WORKER + ".dll"):
        fail(f"no built worker ({os.path.relpath(WORKER, ROOT)}): run `dotnet build Trials -c Release` first")
    if a.table_top > 0:
        return
    kinds = ([] if a.only is not None else ["gp"]) + [other]
    for seed in a.seeds:
        for kind in kinds:
            need = (os.path.join(a.out_dir, f"optuna-{seed}.json") if kind == "optuna"
                    else os.path.join(a.out_dir, f"{kind}-{seed}", "study.db"))
            if not os.path.exists(need):
                seeds = " ".join(str(s) for s in a.seeds)
                fail(f"no {os.path.relpath(need, ROOT)}: run `SAMPLERS=\"{' '.join(kinds)}\" bench/search/run.sh {seeds}` first")
    if a.only is None or other != "optuna":
        if not os.path.exists(SEARCH):
            fail(f"no built Search ({os.path.relpath(SEARCH, ROOT)}): run `dotnet build Search -c Release` first")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default=[44, 45, 46], type=seed_list, help="study seeds (default 44,45,46)")
    ap.add_argument("--train-seeds", default=[1, 2, 3], type=seed_list, help="training seeds per configuration (default 1,2,3)")
    ap.add_argument("--out-dir", default=os.path.join(ROOT, "bench", "out", "search"))
    ap.add_argument("--only", choices=["optuna"])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--samplers", default="gp,optuna", choices=["gp,optuna", "gp,random"], metavar="gp,optuna|gp,random",
                    help="what gp is compared with: the Optuna-TPE + PyTorch reference (default) or the random studies")
    # A study chose its configuration by the scores on its own hold-out, so judged on those same images its choice
    # looks better than it is (more so the more configurations near the top it tried); the reference searched on
    # another. A split seed that no compared study used judges both on images neither chose by.
    ap.add_argument("--split-seed", type=int, default=None,
                    help="judge on the hold-out of this split seed (default: search.json's, i.e. its sampler seed's)")
    ap.add_argument("--pick", default="chosen", choices=["chosen", "max-single", "recommend"],
                    help="which trial of our studies: the study's choice (study best), the best single value, or the "
                         "best posterior mean (GpSampler.Recommend)")
    ap.add_argument("--table-top", type=int, default=0,
                    help="judge no study: the K best configurations of bench/search/table.csv, the same way")
    a = ap.parse_args()
    if a.workers < 1:
        ap.error(f"--workers {a.workers}: must be >= 1")
    check_inputs(a, a.samplers.split(",")[1])
    work = tempfile.mkdtemp(prefix="search-cross-")
    try:
        run(a, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # every trained run's checkpoint: the results are in the cache


def run(a, work):
    os.makedirs(a.out_dir, exist_ok=True)  # the cache's folder (bench/out/search unless --out-dir)
    cache_path = os.path.join(a.out_dir, "cross-check-cache.json")
    cache = json.load(open(cache_path)) if os.path.exists(cache_path) else {}
    study = held_out(json.load(open(os.path.join(ROOT, "search.json"))), a.split_seed)
    fixed = study.get("fixed", {})
    train_seeds = a.train_seeds
    if a.table_top > 0:
        print(f"{'config':>6} {'tabled':>8} {'truth':>8}  ({len(train_seeds)} training seeds each, hold-out of split seed "
              f"{split_seed(study)})")
        for cid, tabled, hp in table_top(a.table_top, study):
            with concurrent.futures.ThreadPoolExecutor(a.workers) as pool:
                values = list(pool.map(lambda s: train(hp, s, study, work, cache), train_seeds))
            save(cache, cache_path)
            print(f"{cid:>6} {tabled:8.4f} {statistics.mean(values):8.4f}  " + " ".join(f"{v:.4f}" for v in values), flush=True)
        return
    diffs = []
    other = a.samplers.split(",")[1]
    print(f"{'seed':>4} {'gp_val':>8} {other + '_val':>10} {'gp-' + other:>9}  ({len(train_seeds)} training seeds each, "
          f"{study['budget']['epochs']} epochs on {study['dataset']['train_subset']} images, hold-out of split seed "
          f"{split_seed(study)})")
    for seed in a.seeds:
        if other == "optuna":
            best = json.load(open(os.path.join(a.out_dir, f"optuna-{seed}.json")))["best_params"]
            # The reference script's network: two conv blocks with BatchNorm, one hidden FC layer, Adam; the rest of the
            # study's fixed settings (cosine schedule) apply to both, so only what the searches chose differs.
            configs = [(other, {**fixed, **best, "conv_layers": 2})]
        else:
            configs = [(other, study_choice(a.out_dir, other, seed, a.pick))]
        if a.only is None:
            configs.insert(0, ("gp", study_choice(a.out_dir, "gp", seed, a.pick)))
        jobs = [(name, hp, s) for name, hp in configs for s in train_seeds]
        with concurrent.futures.ThreadPoolExecutor(a.workers) as pool:
            values = list(pool.map(lambda j: (j[0], train(j[1], j[2], study, work, cache)), jobs))
        save(cache, cache_path)
        if a.only is not None:
            continue
        gp = statistics.mean(v for n, v in values if n == "gp")
        op = statistics.mean(v for n, v in values if n == other)
        diffs.append(gp - op)
        print(f"{seed:>4} {gp:8.4f} {op:10.4f} {gp - op:+9.4f}", flush=True)
    if len(diffs) > 1:
        se = statistics.stdev(diffs) / math.sqrt(len(diffs))
        print(f"mean gp - {other}: {statistics.mean(diffs):+.4f} +- {se:.4f} (SE), {len(diffs)} study seeds")


if __name__ == "__main__":
    main()

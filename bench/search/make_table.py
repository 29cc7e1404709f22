#!/usr/bin/env python3
"""Builds the real-objective table that bench/search's surrogate replays (HPOBench / YAHPO style).

    nice -n 5 python3 bench/search/make_table.py [--configs N] [--seeds 1,2] [--epochs E] [--train-subset N] [--out CSV] [--ids 3,17]

Draws N configurations uniformly from the default study's space (search.json; log-uniform where the space
says log), trains each with the real Trials worker on real MNIST (validation images and split seed as the
study sends them; epochs and training images the study's unless given), once per seed, and appends one CSV row
per run as it finishes, so an interrupted run keeps its rows and a rerun skips the (config, seed) pairs it
already has. Each row carries every epoch's val_accuracy, so the table holds every fidelity of a run.
--ids trains only those configurations of the draw, e.g. under another --study (a larger hold-out).
Run from the repository root; needs a built worker (dotnet build Trials -c Release).
"""
import argparse, csv, json, math, os, random, shutil, subprocess, sys, tempfile, time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WORKER = os.path.join(ROOT, "Trials", "bin", "Release", "net10.0", "Trials")


def draw(space, rng):
    config = {}
    for name, d in space.items():
        if d["type"] == "categorical":
            config[name] = rng.choice(d["choices"])
        elif d.get("log"):
            v = math.exp(rng.uniform(math.log(d["low"]), math.log(d["high"])))
            config[name] = int(round(v)) if d["type"] == "int" else v
        else:
            v = rng.uniform(d["low"], d["high"])
            config[name] = int(round(v)) if d["type"] == "int" else v
    return config


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--study", default=os.path.join(ROOT, "search.json"))
    ap.add_argument("--configs", type=int, default=200)
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--epochs", type=int, default=None, help="default: the study's budget.epochs")
    ap.add_argument("--train-subset", type=int, default=None, help="default: the study's dataset.train_subset")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--draw-seed", type=int, default=2026)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "search", "table.csv"))
    ap.add_argument("--ids", default=None, help="only these config_ids of the draw (e.g. 3,17,40): another setting (--study) for chosen configurations")
    a = ap.parse_args()

    def fail(message):
        print(f"make_table.py: {message}", file=sys.stderr)
        sys.exit(2)

    if not os.path.exists(a.study):
        fail(f"--study {a.study}: no such file")
    if not os.path.exists(WORKER + ".dll"):
        fail(f"no built worker ({os.path.relpath(WORKER, ROOT)}): run `dotnet build Trials -c Release` first")
    def ints(option, text):
        try:
            return [int(s) for s in text.split(",")]
        except ValueError:
            fail(f"{option} '{text}': not a comma-separated list of integers")

    seeds = ints("--seeds", a.seeds)
    ids = set(ints("--ids", a.ids)) if a.ids else None
    if a.configs < 1 or a.threads < 1 or (a.epochs is not None and a.epochs < 1) or (a.train_subset is not None and a.train_subset < 1):
        fail("--configs, --threads, --epochs and --train-subset must be >= 1")
    study = json.load(open(a.study))
    space, fixed, data = study["space"], study.get("fixed", {}), study["dataset"]
    a.epochs = a.epochs or study["budget"]["epochs"]
    a.train_subset = a.train_subset or data["train_subset"]
    split_seed = study["sampler"]["seed"]
    data_dir = os.path.join(ROOT, data["dir"])
    if not os.path.isdir(data_dir):
        fail(f"no {data['dir']} (the study's dataset.dir): run `data fetch mnist` first")
    rng = random.Random(a.draw_seed)
    configs = [draw(space, rng) for _ in range(a.configs)]
    names = list(space)
    header = ["config_id"] + names + ["seed", "train_subset", "epochs"] + [f"val_accuracy_e{e}" for e in range(1, a.epochs + 1)] + ["duration_s"]
    done = set()
    if os.path.exists(a.out):
        with open(a.out) as f:
            for row in csv.DictReader(f):
                done.add((int(row["config_id"]), int(row["seed"])))
    else:
        with open(a.out, "w", newline="") as f:
            csv.writer(f).writerow(header)
    work = tempfile.mkdtemp(prefix="search-table-")
    try:
        train_all(a, configs, names, seeds, ids, done, fixed, data, data_dir, split_seed, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # the spec and the last run's checkpoint: the rows are in the CSV


def train_all(a, configs, names, seeds, ids, done, fixed, data, data_dir, split_seed, work):
    for cid, config in enumerate(configs):
        if ids is not None and cid not in ids:
            continue
        for seed in seeds:
            if (cid, seed) in done:
                continue
            spec = {
                "hyperparameters": {**fixed, **config}, "epochs": a.epochs, "seed": seed, "split_seed": split_seed,
                "dataset": data.get("name", "mnist"), "data_dir": data_dir, "device": "cpu",
                "threads": a.threads, "out_dir": os.path.join(work, "run"), "train_subset": a.train_subset,
                "validation": data["validation"],
            }
            path = os.path.join(work, "spec.json")
            json.dump(spec, open(path, "w"))
            t0 = time.time()
            p = subprocess.run([WORKER, "run", "--spec", path], stdin=subprocess.DEVNULL, capture_output=True, text=True)
            epochs = {}
            for line in p.stdout.splitlines():
                e = json.loads(line)
                if e.get("event") == "epoch":
                    epochs[e["epoch"]] = e["val_accuracy"]
            if p.returncode != 0 or len(epochs) != a.epochs:
                print(f"config {cid} seed {seed}: worker exit {p.returncode}: {p.stdout[-300:]} {p.stderr[-300:]}", file=sys.stderr)
                continue
            row = [cid] + [config[n] for n in names] + [seed, a.train_subset, a.epochs] + [epochs[e] for e in range(1, a.epochs + 1)]
            row.append(round(time.time() - t0, 1))
            with open(a.out, "a", newline="") as f:
                csv.writer(f).writerow(row)
            print(f"config {cid} seed {seed}: " + " ".join(f"{v:.4f}" for v in row[-1 - a.epochs:-1]) + f" ({row[-1]} s)", flush=True)


if __name__ == "__main__":
    main()

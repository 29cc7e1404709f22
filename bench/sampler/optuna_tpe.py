"""Optuna 4.1's TPESampler (defaults) on bench/sampler's noise-free Branin and Hartmann-6 (30 evaluations) and on the
tests' mixed function (Search.Tests TrialHistory.Mixed, 40 evaluations): median, quartiles and mean regret (best value
for the mixed one) over N seeds, the reference for `dotnet run -c Release --project bench/sampler -- --kinds tpe --seeds N
--no-latency` and TpeSamplerTests (run both in one session). Run: ../shared/tools/optuna4 python3 bench/sampler/optuna_tpe.py 100

--sampler random or gp runs Optuna's RandomSampler or GPSampler (defaults; GPSampler needs torch and scipy) instead:
the figures bench/sampler's "Optuna rnd" / "Optuna GP" columns hold (stored in bench/sampler/Program.cs, `reference`;
bench/sampler's default is 10 seeds, so refresh them with N = 10 and copy the medians there by hand).

    ../shared/tools/optuna4 python3 bench/sampler/optuna_tpe.py [N=100] [--sampler tpe|random|gp]

--conditional runs bench/sampler's noisy conditional function instead (define-by-run: a1, a2 suggested only on branch
a, b1..b3 only on b; noise sd 0.05; 30 evaluations), scoring the noise-free regret of the trial with the best observed
value, as bench/sampler's "Conditional+noise" row does.
"""
import argparse
import math
import sys

# numpy and optuna are imported after the arguments are parsed, so --help works outside the optuna4 environment.


def branin(t):
    x = t.suggest_float("x1", -5, 10)
    y = t.suggest_float("x2", 0, 15)
    return (y - 5.1 / (4 * math.pi ** 2) * x * x + 5 / math.pi * x - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10 - 0.39788735772973816


def hartmann6(t):
    A, P, ALPHA = HARTMANN
    x = np.array([t.suggest_float(f"x{i}", 0, 1) for i in range(6)])
    return -np.sum(ALPHA * np.exp(-np.sum(A * (x - P) ** 2, axis=1))) + 3.3223680114155147


def mixed(t):
    layers = t.suggest_int("layers", 1, 4)
    channels = t.suggest_int("channels", 8, 128, log=True)
    t.suggest_int("batch", 32, 256, step=32)
    dropout = t.suggest_float("dropout", 0, 0.5)
    lr = t.suggest_float("lr", 1e-5, 1e-1, log=True)
    t.suggest_float("momentum", 0.5, 0.95, step=0.05)
    optimizer = t.suggest_categorical("optimizer", ["adam", "sgd", "rmsprop"])
    batch_norm = t.suggest_categorical("batch_norm", [True, False])
    return ((math.log10(lr) + 3) ** 2 + 4 * (dropout - 0.2) ** 2 + (0 if optimizer == "sgd" else 0.5)
            + 0.1 * abs(layers - 3) + 0.001 * channels + (0.3 if batch_norm is False else 0))


def conditional(rng):
    def objective(t):
        branch = t.suggest_categorical("branch", ["a", "b"])
        x = t.suggest_float("x", 0, 1)
        shared = (x - 0.6) ** 2
        if branch == "a":
            a1, a2 = t.suggest_float("a1", 0, 1), t.suggest_float("a2", 0, 1)
            truth = 0.3 + shared + (a1 - 0.3) ** 2 + (a2 - 0.7) ** 2
        else:
            b1, b2, b3 = (t.suggest_float(f"b{i}", 0, 1) for i in (1, 2, 3))
            truth = shared + 3 * ((b1 - 0.2) ** 2 + (b2 - 0.8) ** 2 + (b3 - 0.5) ** 2)
        t.set_user_attr("truth", truth)
        return truth + 0.05 * rng.standard_normal()
    return objective


ap = argparse.ArgumentParser(description="Optuna 4.1's samplers on bench/sampler's Branin and Hartmann-6 (and the tests' mixed function).")
ap.add_argument("seeds", nargs="?", type=int, default=100, help="seeds per function (default 100)")
ap.add_argument("--sampler", default="tpe", choices=["tpe", "random", "gp"], help="Optuna sampler (default tpe)")
ap.add_argument("--conditional", action="store_true", help="the noisy conditional function only")
a = ap.parse_args()
if a.seeds < 1:
    ap.error(f"seeds {a.seeds}: must be >= 1")
try:
    import numpy as np
    import optuna
except ImportError as e:
    sys.exit(f"optuna_tpe.py: needs numpy and Optuna 4.1 (run it as ../shared/tools/optuna4 python3 bench/sampler/optuna_tpe.py): {e}")
optuna.logging.set_verbosity(optuna.logging.ERROR)
HARTMANN = (  # A, P, ALPHA of Hartmann-6
    np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]),
    1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                     [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]),
    np.array([1, 1.2, 3, 3.2]))


make = {"tpe": optuna.samplers.TPESampler, "random": optuna.samplers.RandomSampler,
        "gp": lambda seed: optuna.samplers.GPSampler(seed=seed)}[a.sampler]
label = {"tpe": "TPE", "random": "random", "gp": "GP"}[a.sampler]
if a.sampler == "gp":
    try:
        import scipy, torch  # noqa: F401  GPSampler's dependencies
    except ImportError as e:
        sys.exit(f"optuna_tpe.py: --sampler gp needs Optuna's GPSampler dependencies (torch, scipy): {e}")
seeds = a.seeds
if a.conditional:
    regrets = []
    for s in range(seeds):
        study = optuna.create_study(sampler=make(seed=s))
        study.optimize(conditional(np.random.default_rng(1_000_003 * s + 17)), n_trials=30)
        regrets.append(study.best_trial.user_attrs["truth"])
    b = np.array(regrets)
    print(f"Conditional+noise Optuna {label}, {seeds} seeds, 30 evaluations: median {np.median(b):.4f} "
          f"p25 {np.percentile(b, 25):.4f} p75 {np.percentile(b, 75):.4f} mean {b.mean():.4f}")
    sys.exit(0)
for name, f, evals in [("Branin", branin, 30), ("Hartmann-6", hartmann6, 30), ("Mixed (tests)", mixed, 40)]:
    best = []
    for s in range(seeds):
        study = optuna.create_study(sampler=make(seed=s))
        study.optimize(f, n_trials=evals)
        best.append(study.best_value)
    b = np.array(best)
    print(f"{name:<14} Optuna {label}, {seeds} seeds, {evals} evaluations: median {np.median(b):.3f} "
          f"p25 {np.percentile(b, 25):.3f} p75 {np.percentile(b, 75):.3f} mean {b.mean():.3f}")

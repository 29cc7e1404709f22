using System.Globalization;
using System.Text;

namespace Mnist.Search.Tests.Support.Study;

/// <summary>
/// Writes a bash script that speaks the worker protocol without training anything: it reports
/// <see cref="Epochs"/> epochs whose val_accuracy is <c>0.5 + trial/100</c> (so later trials are better),
/// sleeping <see cref="EpochSeconds"/> per epoch, and appends "device trial start|end time" lines to
/// <see cref="LogPath"/>. Trials listed in <see cref="Behaviours"/> misbehave instead; trials listed in
/// <see cref="Custom"/> run that bash text instead (any protocol abuse a test needs). A retrain spec
/// (<c>full_train</c>) gets one epoch, <c>metrics.json</c>, a model and a result with a test accuracy after
/// <see cref="RetrainSeconds"/>.
/// </summary>
internal sealed class FakeWorker
{
    public enum Behaviour { Crash, NaN, Hang, ErrorLine, Slow, Terminated }

    public required string Directory { get; init; }
    public int Epochs { get; init; } = 2;
    public double EpochSeconds { get; init; } = 0.1;
    public Dictionary<int, Behaviour> Behaviours { get; init; } = new();
    public Dictionary<int, string> Custom { get; init; } = new();
    public double RetrainSeconds { get; init; } = 0.1;
    public bool RetrainFails { get; init; }

    /// <summary>
    /// When set, a retrain runs until this file exists (after <see cref="RetrainSeconds"/>), so a test decides when it ends;
    /// <c>$n</c> in it stands for the retrained trial's number (each retrain of its own file).
    /// </summary>
    public string? RetrainUntil { get; init; }

    /// <summary>What a retrain writes as <c>metrics.json</c> (a test gives it one the protocol does not allow).</summary>
    public string RetrainMetrics { get; init; } = """{"accuracy":0.9,"confusion_matrix":null}""";

    /// <summary>The result event a retrain ends with.</summary>
    public string RetrainResult { get; init; } = """{"event":"result","state":"complete","test_accuracy":0.9,"test_loss":0.3,"duration_s":0.1}""";

    /// <summary>The start event a retrain prints (what the worker says of itself: its device, its kernels).</summary>
    public string RetrainStart { get; init; } = """{"event":"start","config":{}}""";

    public string LogPath => Path.Combine(Directory, "fake-worker.log");
    public string ScriptPath => Path.Combine(Directory, "fake-worker.sh");

    /// <summary>Where each retrain writes "retrain N PID start" and "retrain N PID end".</summary>
    public string RetrainsLogPath => Path.Combine(Directory, "retrains.log");

    /// <summary>
    /// Waits (a minute at most) until a trial of <paramref name="run"/>'s study has started this script; fails the test
    /// at once, with its stderr, when the process has ended instead.
    /// </summary>
    public Task UntilStartedAsync(System.Diagnostics.Process run, Task<string> stderr) => UntilLoggedAsync(LogPath, "a trial", run, stderr);

    /// <summary>As <see cref="UntilStartedAsync"/>, for a retrain (<see cref="RetrainsLogPath"/>).</summary>
    public Task UntilRetrainStartedAsync(System.Diagnostics.Process run, Task<string> stderr) => UntilLoggedAsync(RetrainsLogPath, "a retrain", run, stderr);

    private static async Task UntilLoggedAsync(string log, string what, System.Diagnostics.Process run, Task<string> stderr)
    {
        for (var wait = System.Diagnostics.Stopwatch.StartNew(); !(File.Exists(log) && File.ReadAllText(log).Contains(" start")); await Task.Delay(100))
        {
            if (run.HasExited) Assert.Fail($"the process ended (exit {run.ExitCode}) before {what} started: {await stderr}");
            Assert.True(wait.Elapsed < TimeSpan.FromSeconds(60), $"no {what[2..]} started within a minute");
        }
    }

    /// <summary>The <c>worker.command</c> that runs the script.</summary>
    public IReadOnlyList<string> Command => ["/bin/bash", ScriptPath, "{spec}"];

    public FakeWorker Write()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var cases = new StringBuilder();
        foreach (var (trial, behaviour) in Behaviours)
        {
            cases.Append(CultureInfo.InvariantCulture, $"  {trial}) mode={behaviour.ToString().ToLowerInvariant()} ;;\n");
        }
        var script = $$$"""
            #!/bin/bash
            n="$MNIST_SEARCH_TRIAL"
            mode=normal
            case "$n" in
            {{{cases}}}
            esac
            log() { echo "${CUDA_VISIBLE_DEVICES:-cpu} $n $(date +%s.%N) $1" >> "{{{LogPath}}}"; }
            if grep -q '"full_train": true' "$1"; then
              out=$(dirname "$1")
              echo "retrain $n $$ start" >> "{{{RetrainsLogPath}}}"
              echo '{{{RetrainStart}}}'
              sleep {{{RetrainSeconds.ToString(CultureInfo.InvariantCulture)}}}
              {{{(RetrainUntil is null ? "" : $"while [ ! -e \"{RetrainUntil}\" ]; do sleep 0.05; done")}}}
              if {{{(RetrainFails ? "true" : "false")}}}; then echo 'simulated retrain crash' >&2; exit 1; fi
              echo '{"event":"epoch","epoch":1,"train_loss":0.1,"val_loss":null,"val_accuracy":null}'
              echo 'weights' > "$out/model.bin"; echo '{"format_version":1}' > "$out/model.json"
              printf '%s' '{{{RetrainMetrics}}}' > "$out/metrics.json"
              echo "retrain $n $$ end" >> "{{{RetrainsLogPath}}}"
              echo '{{{RetrainResult}}}'
              exit 0
            fi
            if [ -f "{{{Directory}}}/custom-$n.sh" ]; then . "{{{Directory}}}/custom-$n.sh"; fi
            log start
            echo '{"event":"start","config":{}}'
            if [ "$mode" = crash ]; then echo "boom: simulated crash" >&2; log end; exit 7; fi
            if [ "$mode" = errorline ]; then echo '{"event":"error","message":"simulated bad data"}'; log end; exit 2; fi
            if [ "$mode" = hang ]; then sleep 600; fi
            if [ "$mode" = terminated ]; then log end; kill -TERM $$; sleep 5; fi
            for e in $(seq 1 {{{Epochs}}}); do
              if [ "$mode" = slow ]; then sleep 2; fi
              if read -t {{{EpochSeconds.ToString(CultureInfo.InvariantCulture)}}} -r line && [ "$line" = prune ]; then
                log end
                echo '{"event":"result","state":"pruned","duration_s":0.1}'
                exit 0
              fi
              v=$(awk -v n="$n" -v e="$e" 'BEGIN { printf "%.4f", 0.5 + n / 100 + e / 1000 }')
              if [ "$mode" = nan ]; then v='"NaN"'; fi
              echo "{\"event\":\"epoch\",\"epoch\":$e,\"train_loss\":0.5,\"val_loss\":0.4,\"val_accuracy\":$v,\"images_per_s\":1000,\"elapsed_s\":$e}"
            done
            log end
            echo "{\"event\":\"result\",\"state\":\"complete\",\"val_accuracy\":$v,\"duration_s\":0.2,\"checkpoint\":null}"
            """;
        File.WriteAllText(ScriptPath, script.Replace("\r", ""));
        foreach (var (trial, body) in Custom)
            File.WriteAllText(Path.Combine(Directory, $"custom-{trial}.sh"), body.Replace("\r", "") + "\n");
        return this;
    }

    /// <summary>The (device, trial, start, end) intervals the script logged.</summary>
    public IReadOnlyList<(string Device, int Trial, double Start, double End)> Intervals()
    {
        var lines = File.Exists(LogPath) ? File.ReadAllLines(LogPath) : [];
        var starts = new Dictionary<int, (string, double)>();
        var result = new List<(string, int, double, double)>();
        foreach (var parts in lines.Select(l => l.Split(' ')))
        {
            var trial = int.Parse(parts[1], CultureInfo.InvariantCulture);
            var time = double.Parse(parts[2], CultureInfo.InvariantCulture);
            if (parts[3] == "start") starts[trial] = (parts[0], time);
            else if (starts.Remove(trial, out var s)) result.Add((s.Item1, trial, s.Item2, time));
        }
        return result;
    }
}

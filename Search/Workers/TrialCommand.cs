using Mnist.Protocol.Outputs;
using Mnist.Search.Scheduling;

namespace Mnist.Search.Workers;

/// <summary>
/// The command line that runs one trial: by default the built <c>Trials</c> worker
/// (<c>Trials run --spec {spec}</c>); <c>worker.command</c> in <c>search.json</c> replaces it for custom
/// trainers and tests. Placeholders, replaced in every argument: <c>{spec}</c> (the spec file),
/// <c>{out_dir}</c> (the trial's folder), <c>{data_dir}</c>, <c>{trial_number}</c> and <c>{device}</c>
/// (the slot, e.g. <c>cuda:0</c>); other braces are left alone.
/// </summary>
public sealed record TrialCommand(IReadOnlyList<string> Command)
{
    /// <summary>
    /// Whether this runs this tool's own Trials worker, whose exit code 4 means the machine cannot run it on any slot (a
    /// device it lacks, or libtorch that does not load); a custom worker's 4 means that on a GPU slot only.
    /// </summary>
    public bool IsTrialsWorker { get; init; }

    /// <summary>The default: the located Trials worker running the spec.</summary>
    public static TrialCommand ForWorker(WorkerCommand worker) =>
        new([worker.FileName, .. worker.Arguments, "run", "--spec", "{spec}"]) { IsTrialsWorker = true };

    public WorkerStartInfo ToStartInfo(string specPath, string trialDir, DeviceSlot device, int trialNumber, string dataDir = "")
    {
        string Expand(string s) => s
            .Replace("{spec}", specPath, StringComparison.Ordinal)
            .Replace("{out_dir}", trialDir, StringComparison.Ordinal)
            .Replace("{data_dir}", dataDir, StringComparison.Ordinal)
            .Replace("{device}", device.Id, StringComparison.Ordinal)
            .Replace("{trial_number}", trialNumber.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        // The slot's own environment pins the GPU (CUDA_VISIBLE_DEVICES) and the thread budget.
        var env = new Dictionary<string, string>(device.WorkerEnvironment)
        {
            ["MNIST_SEARCH_DEVICE"] = device.Id,
            ["MNIST_SEARCH_TRIAL"] = trialNumber.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var expanded = Command.Select(Expand).ToList();
        return new WorkerStartInfo(
            expanded[0], expanded.Skip(1).ToList(), env, trialDir,
            Path.Combine(trialDir, ArtifactNames.StdoutLog), Path.Combine(trialDir, ArtifactNames.StderrLog));
    }
}

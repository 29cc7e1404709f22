using Mnist.Search.Scheduling;
using Mnist.Search.Workers;

namespace Mnist.Search.Study;

/// <summary>
/// The command line that runs one trial: by default the built <c>Trials</c> worker
/// (<c>Trials run --spec {spec}</c>); <c>worker.command</c> in <c>search.json</c> replaces it for custom
/// trainers and tests. Placeholders: <c>{spec}</c>, <c>{out}</c>, <c>{device}</c>, <c>{trial}</c>.
/// </summary>
public sealed record TrialCommand(IReadOnlyList<string> Command)
{
    public WorkerStartInfo ToStartInfo(string specPath, string trialDir, DeviceSlot device, int trialNumber)
    {
        string Expand(string s) => s
            .Replace("{spec}", specPath, StringComparison.Ordinal)
            .Replace("{out}", trialDir, StringComparison.Ordinal)
            .Replace("{device}", device.Id, StringComparison.Ordinal)
            .Replace("{trial}", trialNumber.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        var env = new Dictionary<string, string>
        {
            // One GPU per trial: the worker sees only its own, as cuda:0. A CPU slot sees none, so a
            // CPU trial can never land on a GPU that another trial owns.
            ["CUDA_VISIBLE_DEVICES"] = device.CudaIndex?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
            ["OMP_NUM_THREADS"] = device.Threads.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["MNIST_SEARCH_DEVICE"] = device.Id,
            ["MNIST_SEARCH_TRIAL"] = trialNumber.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var expanded = Command.Select(Expand).ToList();
        return new WorkerStartInfo(
            expanded[0], expanded.Skip(1).ToList(), env, trialDir,
            Path.Combine(trialDir, "stdout.log"), Path.Combine(trialDir, "stderr.log"));
    }
}

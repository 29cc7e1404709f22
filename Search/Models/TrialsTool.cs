using System.Diagnostics;
using Mnist.Search.Workers;

namespace Mnist.Search.Models;

/// <summary>
/// Runs one short command of the built <c>Trials</c> program (export, predict) and collects its output.
/// Commands that need a model run there, so the coordinator itself never loads libtorch.
/// </summary>
internal static class TrialsTool
{
    public sealed record Output(int ExitCode, string Stdout, string Stderr);

    public static async Task<Output> RunAsync(IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var worker = WorkerLocator.Locate();
        var psi = new ProcessStartInfo(worker.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in worker.Arguments.Concat(arguments)) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new WorkerStartException($"could not start {worker.FileName}");
        await using var kill = ct.Register(() => { try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } });
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        await process.WaitForExitAsync(CancellationToken.None);
        ct.ThrowIfCancellationRequested();
        return new Output(process.ExitCode, await stdout, await stderr);
    }
}

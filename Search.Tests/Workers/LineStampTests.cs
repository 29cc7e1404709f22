using System.Diagnostics;
using Mnist.Search.Tests.Support.Config;
using Mnist.Search.Workers;

namespace Mnist.Search.Tests.Workers;

/// <summary>
/// A line is stamped with the time the pipe read that delivered it returned, not the time the pump got round to it:
/// the pruner compares these stamps with the time it sent <c>prune</c>, and a starved pump that stamped each line in
/// turn dated the later lines of one write after a prune sent before they were read (IgnoredPruneTests, flaky under load).
/// </summary>
public sealed class LineStampTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly ProcessWorkerLauncher _launcher = new(disposeGrace: TimeSpan.FromSeconds(2));

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task LinesOfOneWriteShareTheirReadTimeAndALaterWriteHasALaterOne()
    {
        // Given a real worker that prints three lines in one write (coreutils' printf; a shell's builtin may write each line on its own), then a fourth only once
        // told to (a file appears)
        var go = _folder.Combine("go");
        await using var worker = _launcher.Start(new WorkerStartInfo("/bin/sh", ["-c", $"/usr/bin/printf 'a\\nb\\nc\\n'; while [ ! -e '{go}' ]; do sleep 0.05; done; echo d"],
            new Dictionary<string, string>(), _folder.Path, _folder.Combine("logs", "stdout.log"), _folder.Combine("logs", "stderr.log")));

        // When the lines are taken slowly, 300 ms apart, and the fourth is let out after the third is taken
        var stamps = new List<(string Line, long At)>();
        long toldAt = 0;
        await foreach (var line in worker.ReadLinesAsync().WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token))
        {
            stamps.Add((line, worker.LastLineReadAt));
            await Task.Delay(300);
            if (line == "c")
            {
                toldAt = Stopwatch.GetTimestamp();
                File.WriteAllText(go, "");
            }
        }

        // Then the first three carry one stamp, and the fourth's is later than the moment it was let out
        Assert.Equal(["a", "b", "c", "d"], stamps.Select(s => s.Line));
        Assert.Equal(stamps[0].At, stamps[1].At);
        Assert.Equal(stamps[0].At, stamps[2].At);
        Assert.True(stamps[3].At > toldAt, "the fourth line was stamped before it was printed");
    }
}

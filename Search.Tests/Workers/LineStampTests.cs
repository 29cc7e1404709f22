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
        // Given a real worker that prints three lines in one write, then a fourth a second later
        await using var worker = _launcher.Start(new WorkerStartInfo("/bin/sh", ["-c", "printf 'a\\nb\\nc\\n'; sleep 1; echo d"],
            new Dictionary<string, string>(), _folder.Path, _folder.Combine("logs", "stdout.log"), _folder.Combine("logs", "stderr.log")));

        // When the lines are taken slowly, 300 ms apart
        var stamps = new List<(string Line, long At)>();
        await foreach (var line in worker.ReadLinesAsync().WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token))
        {
            stamps.Add((line, worker.LastLineReadAt));
            await Task.Delay(300);
        }

        // Then the first three carry one stamp, and the fourth's is about a second later
        Assert.Equal(["a", "b", "c", "d"], stamps.Select(s => s.Line));
        Assert.Equal(stamps[0].At, stamps[1].At);
        Assert.Equal(stamps[0].At, stamps[2].At);
        var apart = Stopwatch.GetElapsedTime(stamps[0].At, stamps[3].At);
        Assert.True(apart > TimeSpan.FromMilliseconds(700), $"the fourth line was stamped {apart} after the first");
    }
}

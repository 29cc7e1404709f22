using System.Globalization;
using Mnist.Search.Tests.Support.Config;
using Mnist.Search.Tests.Support.Faults;
using Mnist.Search.Tests.Support.Workers;
using Mnist.Search.Workers;

namespace Mnist.Search.Tests.Workers;

/// <summary>
/// A worker's grandchild that escaped the process tree (its parent exited) still holds the worker's stdout;
/// the worker's own process group catches it (issue 11, item 7).
/// </summary>
public sealed class ProcessGroupTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly TempFolder _folder = new();
    private readonly ProcessWorkerLauncher _launcher = new(disposeGrace: TimeSpan.FromSeconds(2));

    public void Dispose() => _folder.Dispose();

    private WorkerStartInfo Shell(string script) =>
        new("/bin/sh", ["-c", script], new Dictionary<string, string>(), _folder.Path,
            _folder.Combine("logs", "stdout.log"), _folder.Combine("logs", "stderr.log"));

    [Fact]
    public async Task WhenTheWorkerExitsLeavingAnOrphanHoldingStdoutThenTheLinesEndAndTheOrphanIsKilled()
    {
        // Given a worker that double-forks a sleeper (reparented, so no longer its descendant) holding stdout, then exits
        await using var worker = _launcher.Start(Shell("""
            sh -c 'sleep 300 & echo $!'
            echo '{"event":"result","state":"complete"}'
            exit 0
            """));

        // When its output is read
        var lines = new List<string>();
        await foreach (var line in worker.ReadLinesAsync().WithCancellation(new CancellationTokenSource(Limit).Token))
            lines.Add(line);

        // Then the stream ends (it used to last as long as the sleeper) with every line, and the sleeper is dead
        Assert.Equal(2, lines.Count);
        var orphan = int.Parse(lines[0], CultureInfo.InvariantCulture);
        Assert.True(await ProcessProbe.WaitGoneAsync(orphan, TimeSpan.FromSeconds(5)), $"orphan {orphan} still alive");
        Assert.Equal(0, await worker.WaitForExitAsync().WaitAsync(Limit));
    }

    [Fact]
    public async Task WhenTheWorkerExitsLeavingAGrandchildThatDoesNotHoldStdoutThenTheGrandchildIsKilled()
    {
        // Given a worker that leaves a sleeper with its output elsewhere (as Python's subprocess.Popen(stdout=DEVNULL)
        // does), reparented away from it, and exits with a normal result
        await using var worker = _launcher.Start(Shell("""
            sh -c 'sleep 300 >/dev/null 2>&1 </dev/null & echo $!'
            echo '{"event":"result","state":"complete"}'
            exit 0
            """));

        // When its output is read to the end and it has exited
        var lines = new List<string>();
        await foreach (var line in worker.ReadLinesAsync().WithCancellation(new CancellationTokenSource(Limit).Token))
            lines.Add(line);
        Assert.Equal(0, await worker.WaitForExitAsync().WaitAsync(Limit));

        // Then the sleeper is dead, though nothing of it held the pipes (it outlived the trial and the coordinator)
        var orphan = int.Parse(lines[0], CultureInfo.InvariantCulture);
        try
        {
            Assert.True(await ProcessProbe.WaitGoneAsync(orphan, TimeSpan.FromSeconds(5)), $"grandchild {orphan} outlived its worker");
        }
        finally
        {
            if (ProcessProbe.IsAlive(orphan)) Signals.Send(orphan, UnixSignal.Kill);
        }
    }

    [Fact]
    public async Task WhenAHungWorkerIsKilledThenAnOrphanedGrandchildDiesWithIt()
    {
        // Given a hung worker whose grandchild was reparented away from it
        await using var worker = _launcher.Start(Shell("""
            sh -c 'sleep 300 & echo $!'
            exec sleep 300
            """));
        await using var lines = worker.ReadLinesAsync().GetAsyncEnumerator();
        Assert.True(await lines.MoveNextAsync().AsTask().WaitAsync(Limit));
        var orphan = int.Parse(lines.Current, CultureInfo.InvariantCulture);

        // When the worker is killed (as on a trial timeout)
        worker.Kill();

        // Then the orphan dies too and the line stream ends
        Assert.True(await ProcessProbe.WaitGoneAsync(orphan, TimeSpan.FromSeconds(5)), $"orphan {orphan} still alive");
        Assert.False(await lines.MoveNextAsync().AsTask().WaitAsync(Limit));
    }

    [Fact]
    public async Task WhenAHungWorkerIsKilledThenAChildInASessionOfItsOwnDiesWithIt()
    {
        // Given a hung worker whose child left the worker's process group (setsid) but is still its child
        await using var worker = _launcher.Start(Shell("""
            setsid sleep 300 &
            echo $!
            exec sleep 300
            """));
        await using var lines = worker.ReadLinesAsync().GetAsyncEnumerator();
        Assert.True(await lines.MoveNextAsync().AsTask().WaitAsync(Limit));
        var child = int.Parse(lines.Current, CultureInfo.InvariantCulture);
        Assert.True(await WaitUntilAsync(() => File.ReadAllText($"/proc/{child}/cmdline").StartsWith("sleep", StringComparison.Ordinal)), "setsid never became sleep");

        // When the worker is killed (as on a trial timeout)
        worker.Kill();

        // Then that child dies too (the group kill alone missed it, and it outlived the study)
        Assert.True(await ProcessProbe.WaitGoneAsync(child, TimeSpan.FromSeconds(5)), $"child {child} still alive");
        Assert.False(await lines.MoveNextAsync().AsTask().WaitAsync(Limit));
    }

    private static async Task<bool> WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100; i++)
        {
            try { if (condition()) return true; }
            catch (IOException) { }
            await Task.Delay(50);
        }
        return false;
    }

    [Fact]
    public async Task WhenALineHasNoEndThenReadingFailsAtTheCapAndTheWorkerIsKilled()
    {
        // Given a worker that prints an endless line (no newline, ever)
        await using var worker = _launcher.Start(Shell("""
            echo '{"event":"start"}'
            head -c 50000000 /dev/zero | tr '\0' 'x'
            sleep 300
            """));

        // When its output is read
        var lines = new List<string>();
        var error = await Assert.ThrowsAsync<WorkerOutputException>(async () =>
        {
            await foreach (var line in worker.ReadLinesAsync().WithCancellation(new CancellationTokenSource(Limit).Token))
                lines.Add(line);
        });

        // Then the lines before it arrive, the long one is refused at the cap, and the worker is dead
        Assert.Equal(["{\"event\":\"start\"}"], lines);
        Assert.Contains($"longer than {BoundedLineReader.MaxLineChars} characters", error.Message);
        Assert.NotEqual(0, await worker.WaitForExitAsync().WaitAsync(Limit));
        Assert.True(new FileInfo(_folder.Combine("logs", "stdout.log")).Length < 1000);
    }
}

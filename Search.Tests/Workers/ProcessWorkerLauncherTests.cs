using System.Diagnostics;
using System.Globalization;
using Mnist.Search.Tests.Support.Config;
using Mnist.Search.Tests.Support.Workers;
using Mnist.Search.Workers;

namespace Mnist.Search.Tests.Workers;

public sealed class ProcessWorkerLauncherTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);
    private readonly TempFolder _folder = new();
    private readonly ProcessWorkerLauncher _launcher = new(disposeGrace: TimeSpan.FromSeconds(10));

    public void Dispose() => _folder.Dispose();

    private WorkerStartInfo Shell(string script, IReadOnlyDictionary<string, string>? env = null) =>
        new("/bin/sh", ["-c", script], env ?? new Dictionary<string, string>(), _folder.Path,
            _folder.Combine("logs", "stdout.log"), _folder.Combine("logs", "stderr.log"));

    private static async Task<List<string>> ReadAllAsync(IWorkerProcess worker)
    {
        var lines = new List<string>();
        await foreach (var line in worker.ReadLinesAsync().WithCancellation(new CancellationTokenSource(Limit).Token))
            lines.Add(line);
        return lines;
    }

    [Fact]
    public async Task WhenTheWorkerPrintsLinesThenTheyAreStreamedAndLoggedAndTheExitCodeReturned()
    {
        // Given a worker that prints JSON events, writes to stderr and exits with 3
        await using var worker = _launcher.Start(Shell("""
            echo '{"event":"start"}'
            echo 'oops' >&2
            echo '{"event":"epoch","epoch":1}'
            exit 3
            """));

        // When its output is read to the end
        var lines = await ReadAllAsync(worker);
        var exit = await worker.WaitForExitAsync().WaitAsync(Limit);

        // Then the lines arrive in order, both logs hold their stream, and the exit code is 3
        Assert.Equal(["{\"event\":\"start\"}", "{\"event\":\"epoch\",\"epoch\":1}"], lines);
        Assert.Equal(3, exit);
        Assert.Equal("{\"event\":\"start\"}\n{\"event\":\"epoch\",\"epoch\":1}\n", await File.ReadAllTextAsync(_folder.Combine("logs", "stdout.log")));
        Assert.Equal("oops\n", await File.ReadAllTextAsync(_folder.Combine("logs", "stderr.log")));
    }

    [Fact]
    public async Task WhenTheWorkerWaitsForStdinThenLinesStreamLiveAndASentLineIsReceived()
    {
        // Given a worker that announces itself, then waits for one line and echoes it
        await using var worker = _launcher.Start(Shell("""
            echo ready
            read line
            echo "got $line"
            """));
        await using var lines = worker.ReadLinesAsync().GetAsyncEnumerator();

        // When the first line is read while the worker is still waiting, and then "prune" is sent
        Assert.True(await lines.MoveNextAsync().AsTask().WaitAsync(Limit));
        Assert.Equal("ready", lines.Current);
        await worker.SendLineAsync("prune");

        // Then the worker got the line and exits normally
        Assert.True(await lines.MoveNextAsync().AsTask().WaitAsync(Limit));
        Assert.Equal("got prune", lines.Current);
        Assert.False(await lines.MoveNextAsync().AsTask().WaitAsync(Limit));
        Assert.Equal(0, await worker.WaitForExitAsync().WaitAsync(Limit));
    }

    [Fact]
    public async Task WhenEnvironmentVariablesAreGivenThenTheWorkerSeesThemAndKeepsTheRest()
    {
        // Given a GPU pinned through the environment
        var env = new Dictionary<string, string> { ["CUDA_VISIBLE_DEVICES"] = "2", ["TRIAL_TAG"] = "a b" };

        // When the worker prints them
        await using var worker = _launcher.Start(Shell("echo \"$CUDA_VISIBLE_DEVICES|$TRIAL_TAG|${PATH:+has-path}\"", env));
        var lines = await ReadAllAsync(worker);

        // Then it saw them, and the inherited environment is still there
        Assert.Equal(["2|a b|has-path"], lines);
    }

    [Fact]
    public async Task WhenArgumentsHaveSpacesAndQuotesThenTheyArriveUnsplitWithoutAShell()
    {
        // Given a program started directly with awkward arguments
        var info = new WorkerStartInfo("/bin/sh", ["-c", "for a in \"$@\"; do echo \"[$a]\"; done", "sh", "a b", "it's", "$HOME", ""],
            new Dictionary<string, string>(), _folder.Path, _folder.Combine("o.log"), _folder.Combine("e.log"));

        // When it echoes each argument
        await using var worker = _launcher.Start(info);
        var lines = await ReadAllAsync(worker);

        // Then each arrives as one argument, unexpanded
        Assert.Equal(["[a b]", "[it's]", "[$HOME]", "[]"], lines);
    }

    [Fact]
    public async Task WhenKilledThenTheWorkerAndItsGrandchildrenDie()
    {
        // Given a worker with a background grandchild, both sleeping
        await using var worker = _launcher.Start(Shell("""
            sleep 300 &
            echo $!
            wait
            """));
        await using var lines = worker.ReadLinesAsync().GetAsyncEnumerator();
        Assert.True(await lines.MoveNextAsync().AsTask().WaitAsync(Limit));
        var grandchild = int.Parse(lines.Current, CultureInfo.InvariantCulture);
        Assert.True(ProcessProbe.IsAlive(grandchild));

        // When the worker is killed
        var watch = Stopwatch.StartNew();
        worker.Kill();
        var exit = await worker.WaitForExitAsync().WaitAsync(Limit);

        // Then both are gone at once (a signal exit code) and a second kill is harmless
        Assert.NotEqual(0, exit);
        Assert.True(await ProcessProbe.WaitGoneAsync(grandchild, TimeSpan.FromSeconds(5)), $"grandchild {grandchild} still alive");
        Assert.False(ProcessProbe.IsAlive(worker.ProcessId));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10));
        worker.Kill();
    }

    [Fact]
    public async Task WhenDisposedThenTheWorkerReadsEndOfStdinAndExitsEvenWithASiblingRunning()
    {
        // Given a worker that exits on end-of-stdin (as Trials does) and a sibling started after it,
        // which would keep the first worker's stdin open if it had inherited the pipe
        var marker = _folder.Combine("eof-seen");
        var first = _launcher.Start(Shell($"while read line; do :; done; echo eof > '{marker}'"));
        await using var sibling = new ProcessWorkerLauncher(TimeSpan.Zero).Start(Shell("sleep 60"));

        // When the first worker is disposed (as when the coordinator goes away)
        var watch = Stopwatch.StartNew();
        await first.DisposeAsync().AsTask().WaitAsync(Limit);

        // Then it saw end-of-file and exited by itself, well within the kill grace period
        Assert.True(File.Exists(marker));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.False(ProcessProbe.IsAlive(first.ProcessId));
    }

    [Fact]
    public async Task WhenAWorkerIgnoresEndOfStdinThenDisposeKillsItAfterTheGracePeriod()
    {
        // Given a worker that never reads stdin and a short grace period
        var launcher = new ProcessWorkerLauncher(TimeSpan.FromMilliseconds(200));
        var worker = launcher.Start(Shell("sleep 60"));
        var pid = worker.ProcessId;

        // When it is disposed
        await worker.DisposeAsync().AsTask().WaitAsync(Limit);

        // Then it is gone
        Assert.True(await ProcessProbe.WaitGoneAsync(pid, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task WhenALineIsSentAfterExitThenItIsIgnored()
    {
        // Given a worker that has exited
        await using var worker = _launcher.Start(Shell("exit 0"));
        Assert.Equal(0, await worker.WaitForExitAsync().WaitAsync(Limit));

        // When / Then sending does not throw (broken pipe is swallowed), repeatedly
        await worker.SendLineAsync("prune");
        await worker.SendLineAsync("prune");
    }

    [Fact]
    public async Task WhenReadingStartsAfterExitThenNoLineIsLost()
    {
        // Given a worker that printed many lines and exited before anyone read
        await using var worker = _launcher.Start(Shell("i=0; while [ $i -lt 500 ]; do echo line$i; i=$((i+1)); done"));
        await worker.WaitForExitAsync().WaitAsync(Limit);

        // When its lines are read
        var lines = await ReadAllAsync(worker);

        // Then all 500 are there in order
        Assert.Equal(Enumerable.Range(0, 500).Select(i => $"line{i}"), lines);
    }

    [Fact]
    public void WhenTheProgramDoesNotExistThenStartThrowsWorkerStartException()
    {
        var info = new WorkerStartInfo(_folder.Combine("no-such-worker"), [], new Dictionary<string, string>(), _folder.Path,
            _folder.Combine("o.log"), _folder.Combine("e.log"));

        var error = Assert.Throws<WorkerStartException>(() => _launcher.Start(info));
        Assert.Contains("no-such-worker", error.Message);
    }

    [Fact]
    public void WhenTheWorkingDirectoryDoesNotExistThenStartThrowsWorkerStartException()
    {
        var info = Shell("exit 0") with { WorkingDirectory = _folder.Combine("missing") };

        var error = Assert.Throws<WorkerStartException>(() => _launcher.Start(info));
        Assert.Contains("working directory", error.Message);
    }
}

using System.Diagnostics;
using System.Globalization;
using Mnist.Search.Tests.Support.Config;
using Mnist.Search.Tests.Support.Faults;
using Mnist.Search.Tests.Support.Workers;
using Mnist.Search.Workers;

namespace Mnist.Search.Tests.Workers;

/// <summary>The one loop trials and the retrain run their workers through (WorkerRunner), with real child processes.</summary>
public sealed class WorkerRunnerTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task AWorkerThatDoesNotExitAfterItsResultIsKilledAfterTheGraceAndItsResultStands()
    {
        // Given a worker (as a retrain's: no stop, no timeout but its silence) that prints its result and then stays,
        // as one with a non-daemon thread or DataLoader workers hanging at exit does
        var pidFile = _folder.Combine("sleeper.pid");
        var start = new WorkerStartInfo("/bin/sh", ["-c", $$"""
            echo '{"event":"result","state":"complete","test_accuracy":0.9}'
            sleep 120 &
            echo $! > "{{pidFile}}"
            wait
            """], new Dictionary<string, string>(), _folder.Path, _folder.Combine("logs", "stdout.log"), _folder.Combine("logs", "stderr.log"));

        // When it is run to its end
        var clock = Stopwatch.StartNew();
        var outcome = await new WorkerRunner(new ProcessWorkerLauncher(TimeSpan.FromSeconds(2))).RunAsync(start, CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(40));

        // Then it ended about WorkerRunner.ResultGrace after its result (it held its slot until the trial timeout, a
        // retrain's for hours), its result is the outcome, as a clean exit's, and what it started is dead too
        var sleeper = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
        try
        {
            Assert.True(clock.Elapsed < WorkerRunner.ResultGrace + TimeSpan.FromSeconds(10), $"the run took {clock.Elapsed}");
            Assert.Equal("complete", outcome.Result?.State);
            Assert.Equal(0, outcome.ExitCode);
            Assert.True(await ProcessProbe.WaitGoneAsync(sleeper, TimeSpan.FromSeconds(5)), $"its sleeper {sleeper} outlived it");
        }
        finally
        {
            if (ProcessProbe.IsAlive(sleeper)) Signals.Send(sleeper, UnixSignal.Kill);
        }
    }
}

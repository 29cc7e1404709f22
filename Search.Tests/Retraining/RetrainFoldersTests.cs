using System.Diagnostics;
using Mnist.Protocol.Outputs;
using Mnist.Search.Retraining;
using Mnist.Search.Study;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Retraining;

/// <summary>
/// Which retrain folders left beside <c>best/</c> the next retrain removes, judged by the full identity in their names
/// against real processes: on a study folder shared by hosts or containers (or after pid reuse), the pid alone removed
/// another live retrain's folder, or kept a dead one's.
/// </summary>
public sealed class RetrainFoldersTests : IDisposable
{
    private static readonly ProcessIdentity Me = ProcessIdentity.Current;

    private readonly TempDirectory _dir = new("retrain-folders");

    private string Best => _dir["best"];

    public void Dispose() => _dir.Dispose();

    // The identity of a real process of this host that was killed: what a retrain SIGKILLed midway leaves behind.
    private static async Task<ProcessIdentity> EndedProcessAsync()
    {
        using var retrain = Process.Start("sleep", "30");
        var owner = new ProcessIdentity(Me.Host, retrain.Id, ProcessIdentity.InstanceOf(retrain.Id));
        retrain.Kill();
        await retrain.WaitForExitAsync();
        return owner;
    }

    [Fact]
    public async Task AWorkFolderOfAProcessOfThisHostThatEndedIsRemoved()
    {
        // Given the work folder of a retrain process of this host that was killed
        var owner = await EndedProcessAsync();
        var work = Make(RetrainFolders.WorkFolder(Best, owner));

        // When the next retrain cleans up
        RetrainFolders.CleanUpAfterDeadRetrains(Best, Serilog.Core.Logger.None);

        // Then it is gone
        Assert.False(Directory.Exists(work));
    }

    [Fact]
    public void AWorkFolderOfALiveProcessOfThisHostIsKept()
    {
        // Given the work folder of a retrain process of this host that still runs
        using var retrain = Process.Start("sleep", "30");
        try
        {
            var work = Make(RetrainFolders.WorkFolder(Best, new ProcessIdentity(Me.Host, retrain.Id, ProcessIdentity.InstanceOf(retrain.Id))));

            // When another retrain cleans up
            RetrainFolders.CleanUpAfterDeadRetrains(Best, Serilog.Core.Logger.None);

            // Then it is left alone
            Assert.True(Directory.Exists(work));
        }
        finally
        {
            retrain.Kill();
        }
    }

    [Fact]
    public void AWorkFolderOfAProcessWhosePidALaterProcessReusesIsRemoved()
    {
        // Given the work folder of a process of this host whose pid now belongs to a later process (this one: same pid,
        // started earlier)
        var parts = Me.Instance!.Split('/');
        var earlier = new ProcessIdentity(Me.Host, Me.Pid, $"{parts[0]}/{parts[1]}/{long.Parse(parts[2]) - 100}");
        var work = Make(RetrainFolders.WorkFolder(Best, earlier));

        // When a retrain cleans up
        RetrainFolders.CleanUpAfterDeadRetrains(Best, Serilog.Core.Logger.None);

        // Then the dead process's folder is gone although its pid is alive
        Assert.False(Directory.Exists(work));
    }

    [Fact]
    public void AWorkFolderOfAnotherHostOrContainerIsKeptUntilNothingInItWasWrittenForADay()
    {
        // Given work folders of another host's and another container's processes (a pid that is no process here),
        // each with a log written a moment ago
        const int nowhere = 4_000_000;
        var parts = Me.Instance!.Split('/');
        var otherHost = Make(RetrainFolders.WorkFolder(Best, new ProcessIdentity("another-host", nowhere, Me.Instance)));
        var otherContainer = Make(RetrainFolders.WorkFolder(Best, new ProcessIdentity(Me.Host, nowhere, $"{parts[0]}/pid:[1]/{parts[2]}")));

        // When a retrain here cleans up
        RetrainFolders.CleanUpAfterDeadRetrains(Best, Serilog.Core.Logger.None);

        // Then both are left alone: their processes cannot be asked from here
        Assert.True(Directory.Exists(otherHost));
        Assert.True(Directory.Exists(otherContainer));

        // And once nothing in them was written for over a day, they are removed
        foreach (var dir in new[] { otherHost, otherContainer }) Age(dir, RetrainFolders.OthersAbandonedAfter + TimeSpan.FromHours(1));
        RetrainFolders.CleanUpAfterDeadRetrains(Best, Serilog.Core.Logger.None);
        Assert.False(Directory.Exists(otherHost));
        Assert.False(Directory.Exists(otherContainer));
    }

    [Fact]
    public async Task APreviousModelSetAsideByAProcessThatEndedMidSwapIsPutBack()
    {
        // Given best/ moved aside by a retrain process of this host that was killed before it moved the new model in
        var owner = await EndedProcessAsync();
        var aside = Make(RetrainFolders.AsideFolder(Best, owner));

        // When the next retrain cleans up
        RetrainFolders.CleanUpAfterDeadRetrains(Best, Serilog.Core.Logger.None);

        // Then best/ is the previous model again
        Assert.False(Directory.Exists(aside));
        Assert.True(File.Exists(Path.Combine(Best, ArtifactNames.StdoutLog)));
    }

    [Fact]
    public async Task FoldersNamedByPidAloneByEarlierVersionsAreStillJudgedByThePid()
    {
        // Given best.tmp-PID of a process that ended and of one that runs
        using var ended = Process.Start("sleep", "30");
        ended.Kill();
        await ended.WaitForExitAsync();
        using var running = Process.Start("sleep", "30");
        try
        {
            var gone = Make($"{Best}.tmp-{ended.Id}");
            var kept = Make($"{Best}.tmp-{running.Id}");

            // When a retrain cleans up
            RetrainFolders.CleanUpAfterDeadRetrains(Best, Serilog.Core.Logger.None);

            // Then the ended one's is gone and the running one's kept, as before
            Assert.False(Directory.Exists(gone));
            Assert.True(Directory.Exists(kept));
        }
        finally
        {
            running.Kill();
        }
    }

    [Fact]
    public void ThisProcesssFoldersAreNamedByItsWholeIdentity()
    {
        // The pid alone collides across containers: the name carries host and instance (boot, pid namespace, start time)
        var work = Path.GetFileName(RetrainFolders.WorkFolder(Best));
        Assert.StartsWith($"best.tmp-{Me.Pid}@{Uri.EscapeDataString(Me.Host)}@", work, StringComparison.Ordinal);
        Assert.Contains(Uri.EscapeDataString(Me.Instance!), work, StringComparison.Ordinal);
        Assert.Equal(work.Replace("best.tmp-", "best.old-", StringComparison.Ordinal), Path.GetFileName(RetrainFolders.AsideFolder(Best)));
    }

    // A retrain folder with a worker log in it, as a live retrain leaves it.
    private static string Make(string dir)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, ArtifactNames.StdoutLog), "{\"event\":\"epoch\"}\n");
        return dir;
    }

    private static void Age(string dir, TimeSpan age)
    {
        var then = DateTime.UtcNow - age;
        foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)) File.SetLastWriteTimeUtc(file, then);
        Directory.SetLastWriteTimeUtc(dir, then);
    }
}

using System.Diagnostics;
using Mnist.Search.Study;

namespace Mnist.Search.Tests.Study;

/// <summary>
/// Whether a coordinator recorded in storage has ended, told from real processes: the orphan sweep fails the trials
/// of an ended one at once, so a wrong "ended" would fail trials that still run (containers of one host name share
/// pid numbers; pids are reused).
/// </summary>
public sealed class ProcessIdentityTests
{
    private static readonly ProcessIdentity Me = ProcessIdentity.Current;

    [Fact]
    public async Task AProcessThatRunsHasNotEndedAndOnceKilledItHas()
    {
        using var sleeper = Process.Start("sleep", "30");
        var identity = new ProcessIdentity(Me.Host, sleeper.Id, ProcessIdentity.InstanceOf(sleeper.Id));
        Assert.NotNull(identity.Instance);
        Assert.True(Me.IsCertainlyRunning(identity));
        Assert.False(Me.HasCertainlyEnded(identity));

        sleeper.Kill();
        await sleeper.WaitForExitAsync();

        Assert.False(Me.IsCertainlyRunning(identity));
        Assert.True(Me.HasCertainlyEnded(identity));
    }

    [Fact]
    public void ALivePidThatStartedAtAnotherTimeIsAnotherProcessSoTheRecordedOneEnded()
    {
        // A record of this very pid, but of a process that started earlier (the pid was reused)
        var parts = Me.Instance!.Split('/');
        var earlier = new ProcessIdentity(Me.Host, Me.Pid, $"{parts[0]}/{parts[1]}/{long.Parse(parts[2]) - 100}");

        Assert.True(Me.HasCertainlyEnded(earlier));
        Assert.False(Me.HasCertainlyEnded(Me));
    }

    [Fact]
    public void AProcessOfAnotherContainerOrHostIsNeverTakenForEnded()
    {
        // A pid that does not exist here, recorded in another pid namespace (another container of the same host name),
        // in another boot, and on another host
        var parts = Me.Instance!.Split('/');
        const int nowhere = 4_000_000;
        Assert.False(Me.HasCertainlyEnded(new ProcessIdentity(Me.Host, nowhere, $"{parts[0]}/pid:[1]/{parts[2]}")));
        Assert.False(Me.HasCertainlyEnded(new ProcessIdentity(Me.Host, nowhere, $"another-boot/{parts[1]}/{parts[2]}")));
        Assert.False(Me.HasCertainlyEnded(new ProcessIdentity("another-host", nowhere, Me.Instance)));
        // While one of this container that is gone has ended
        Assert.True(Me.HasCertainlyEnded(new ProcessIdentity(Me.Host, nowhere, $"{parts[0]}/{parts[1]}/{parts[2]}")));
    }
}

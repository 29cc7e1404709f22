namespace Mnist.Trials.Protocol;

/// <summary>Set once when the coordinator asks the trial to stop (the <c>prune</c> line); read after every batch.</summary>
internal sealed class PruneSignal
{
    private volatile bool requested;

    public bool IsRequested => requested;

    public void Request() => requested = true;
}

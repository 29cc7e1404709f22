namespace Mnist.Protocol.Events;

/// <summary>The <c>event</c> values of the worker's stdout lines, and the fields both sides use (docs/worker-protocol.md, "Events").</summary>
public static class EventNames
{
    public const string Start = "start";
    public const string Epoch = "epoch";
    public const string Result = "result";
    public const string Error = "error";

    /// <summary>The first field of every line: which event it is.</summary>
    public const string EventField = "event";

    /// <summary>The line the coordinator writes to the worker's stdin to stop a trial early.</summary>
    public const string PruneCommand = "prune";
}

namespace Mnist.Protocol.Processes;

/// <summary>
/// The environment variable through which the coordinator tells a short <c>Trials</c> command (predict, export,
/// check) its own pid. The child ends when its parent is no longer that process: it cannot learn the parent itself
/// early enough, since a parent killed while the child's runtime starts has already handed it to init.
/// </summary>
public static class ParentProcessVariable
{
    public const string Name = "MNIST_TRIALS_PARENT_PID";
}

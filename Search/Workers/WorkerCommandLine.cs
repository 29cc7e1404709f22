using Mnist.Search.Config;

namespace Mnist.Search.Workers;

/// <summary>
/// The command for one trial: the configured <c>worker.command</c>, or the located Trials worker with
/// <c>run --spec {spec}</c>. Placeholders (<c>{spec}</c>, <c>{out_dir}</c>, <c>{data_dir}</c>,
/// <c>{trial_number}</c>, <c>{device}</c>) are replaced in every argument; other braces are left alone.
/// </summary>
internal static class WorkerCommandLine
{
    public const string Spec = "spec";
    public const string OutDir = "out_dir";
    public const string DataDir = "data_dir";
    public const string TrialNumber = "trial_number";
    public const string Device = "device";

    public static IReadOnlyList<string> DefaultArguments { get; } = ["run", "--spec", "{spec}"];

    /// <param name="custom">The config's <c>worker</c> section, or null for the Trials worker.</param>
    /// <param name="locate">Finds the Trials worker (normally <see cref="WorkerLocator.Locate()"/>); called only without <paramref name="custom"/>.</param>
    /// <param name="placeholders">Values by placeholder name (without braces).</param>
    public static WorkerCommand Build(WorkerConfig? custom, Func<WorkerCommand> locate, IReadOnlyDictionary<string, string> placeholders)
    {
        string Fill(string argument)
        {
            foreach (var (name, value) in placeholders)
                argument = argument.Replace("{" + name + "}", value, StringComparison.Ordinal);
            return argument;
        }

        if (custom is not null)
            return new WorkerCommand(Fill(custom.Command[0]), custom.Command.Skip(1).Select(Fill).ToList());
        var worker = locate();
        return new WorkerCommand(worker.FileName, worker.Arguments.Concat(DefaultArguments.Select(Fill)).ToList());
    }
}

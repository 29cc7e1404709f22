using System.CommandLine;
using Mnist.Trials.Model;
using Mnist.Protocol.Outputs;

using Mnist.Trials.Protocol;

namespace Mnist.Trials.Commands;

/// <summary>
/// <c>Trials check --model DIR</c>: loads the checkpoint as <c>predict</c> would (sidecar ranges, weight sizes,
/// every tensor) and exits 0, or prints one line naming the bad file and exits 2. <c>study export</c> runs it
/// before copying a checkpoint, so it never exports an unusable model (issue 11).
/// </summary>
internal static class CheckCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Checkpoint folder (model.bin + model.json)", Required = true };
        var command = new Command("check", "Check that a checkpoint loads") { model };
        command.SetAction(parse =>
        {
            StdinControl.ExitWhenOrphaned();
            try
            {
                var (network, _) = CheckpointIO.Load(parse.GetValue(model)!);
                network.Dispose();
                return WorkerExitCodes.Success;
            }
            catch (CheckpointException e)
            {
                Console.Error.WriteLine(e.Message);
                return WorkerExitCodes.BadInput;
            }
        });
        return command;
    }
}

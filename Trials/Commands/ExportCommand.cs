using System.CommandLine;
using System.Text.Json;
using Mnist.Protocol.Outputs;
using Mnist.Trials.Export;
using Mnist.Trials.Model;
using Mnist.Trials.Protocol;

namespace Mnist.Trials.Commands;

/// <summary>
/// <c>Trials export --model DIR --out FILE</c>: converts a checkpoint to safetensors (PyTorch-style
/// parameter names, raw little-endian tensors); the architecture and normalisation travel in its metadata.
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Checkpoint folder (model.bin + model.json)", Required = true };
        var output = new Option<string>("--out") { Description = "The .safetensors file to write", Required = true };
        var command = new Command("export", "Convert a checkpoint to safetensors") { model, output };
        command.SetAction(parse =>
        {
            try
            {
                var (network, sidecar) = CheckpointIO.Load(parse.GetValue(model)!);
                using (network)
                {
                    var metadata = new Dictionary<string, string>
                    {
                        ["format"] = "pt",
                        ["sidecar"] = JsonSerializer.Serialize(sidecar),
                    };
                    StateDictExport.Save(network, Path.GetFullPath(parse.GetValue(output)!), metadata);
                }
                Console.Out.WriteLine(Path.GetFullPath(parse.GetValue(output)!));
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

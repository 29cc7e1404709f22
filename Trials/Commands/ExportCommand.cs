using System.CommandLine;
using System.Text.Json;
using Mnist.Inference.Onnx;
using Mnist.Protocol.Files;
using Mnist.Protocol.Outputs;
using Mnist.Trials.Export;
using Mnist.Trials.Model;
using Mnist.Trials.Protocol;

namespace Mnist.Trials.Commands;

/// <summary>
/// <c>Trials export --model DIR --out FILE [--format safetensors|onnx] [--metadata KEY=VALUE]...</c>: converts a
/// checkpoint to safetensors (PyTorch-style parameter names, raw little-endian tensors; the architecture and
/// normalisation travel in its metadata) or to an ONNX model (<see cref="OnnxExport"/>; the extra metadata, such as
/// the study and trial, is added to the model's). Both are written to a temporary name and renamed.
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Checkpoint folder (model.bin + model.json)", Required = true };
        var output = new Option<string>("--out") { Description = "The file to write", Required = true };
        var format = new Option<string>("--format") { Description = "safetensors | onnx", DefaultValueFactory = _ => "safetensors" };
        format.AcceptOnlyFromAmong("safetensors", "onnx");
        var metadata = new Option<string[]>("--metadata") { Description = "KEY=VALUE added to an ONNX model's metadata", Arity = ArgumentArity.ZeroOrMore, AllowMultipleArgumentsPerToken = false };
        var command = new Command("export", "Convert a checkpoint to safetensors or ONNX") { model, output, format, metadata };
        command.SetAction(parse =>
        {
            StdinControl.ExitWhenOrphaned();
            var path = Path.GetFullPath(parse.GetValue(output)!);
            var extra = new Dictionary<string, string>();
            foreach (var pair in parse.GetValue(metadata) ?? [])
            {
                var eq = pair.IndexOf('=');
                if (eq < 1)
                {
                    Console.Error.WriteLine($"--metadata {pair}: expected KEY=VALUE");
                    return WorkerExitCodes.BadInput;
                }
                extra[pair[..eq]] = pair[(eq + 1)..];
            }

            if (OutRefusal(path, parse.GetValue(model)!) is { } refusal)
            {
                Console.Error.WriteLine($"--out {path}: {refusal}");
                return WorkerExitCodes.BadInput;
            }

            try
            {
                var (network, sidecar) = CheckpointIO.Load(parse.GetValue(model)!);
                using (network)
                {
                    if (parse.GetValue(format) == "onnx")
                    {
                        OnnxModelFile.Write(OnnxExport.Build(network, sidecar, extra), path);
                    }
                    else
                    {
                        var tensorMetadata = new Dictionary<string, string> { ["format"] = "pt", ["sidecar"] = JsonSerializer.Serialize(sidecar) };
                        StateDictExport.Save(network, path, tensorMetadata);
                    }
                }
                Console.Out.WriteLine(path);
                return WorkerExitCodes.Success;
            }
            catch (CheckpointException e)
            {
                Console.Error.WriteLine(e.Message);
                return WorkerExitCodes.BadInput;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"--out {path}: cannot be written ({e.Message})");
                return WorkerExitCodes.BadInput;
            }
        });
        return command;
    }

    // The file is replaced by a rename: onto a device it replaced the device node (/dev/full, as root), onto the
    // checkpoint it reads it destroyed that checkpoint, onto a folder it failed with a stack trace.
    private static string? OutRefusal(string path, string modelDir)
    {
        if (Directory.Exists(path)) return "is a folder; give the file to write";
        if (Path.GetDirectoryName(path) is { } parent && !Directory.Exists(parent)) return $"its folder {parent} does not exist";
        if (File.Exists(path) && RegularFile.Problem(path, long.MaxValue) is { } problem) return $"exists and {problem}";
        var model = Path.GetFullPath(modelDir);
        if (new[] { ArtifactNames.Weights, ArtifactNames.Sidecar }.Any(n => Path.Combine(model, n) == path))
            return "is the checkpoint being exported; give another file";
        return null;
    }
}

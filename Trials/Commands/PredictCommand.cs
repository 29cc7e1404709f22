using System.CommandLine;
using System.Text.Json.Nodes;
using Mnist.Inference.Images;
using Mnist.Inference.Predictions;
using Mnist.Protocol.Outputs;
using Mnist.Trials.Model;
using Mnist.Trials.Protocol;
using TorchSharp;
using static TorchSharp.torch;

namespace Mnist.Trials.Commands;

/// <summary>
/// <c>Trials predict --model DIR IMAGE...</c>: the class of each image, preprocessed as the model's dataset was
/// (<see cref="DigitImagePreprocessor"/>, <see cref="ImageRecipe"/>) and normalised as the model's sidecar says. Prints one JSON object per
/// line (JSON Lines), one per image in order, as each is answered: one array on one line outgrew the coordinator's
/// line limit (1 MiB) at a few thousand images. An image that cannot be read gets an <c>error</c> entry, the others
/// are still answered, and the exit code is then 2.
/// </summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Checkpoint folder (model.bin + model.json)", Required = true };
        var format = new Option<string>("--format") { Description = "json: one JSON object per line (the only format; the Search CLI renders tables)", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong("json");
        var images = new Argument<string[]>("images") { Arity = ArgumentArity.ZeroOrMore };
        // Tens of thousands of paths overflow a command line (ARG_MAX): the Search CLI passes them in a file instead.
        var imagesFrom = new Option<string?>("--images-from") { Description = "A file of image paths, separated by NUL characters" };
        var command = new Command("predict", "Predict digits in images") { model, format, images, imagesFrom };
        command.SetAction(parse =>
        {
            StdinControl.ExitWhenOrphaned();
            var paths = (parse.GetValue(images) ?? []).ToList();
            if (parse.GetValue(imagesFrom) is { } listFile)
            {
                try { paths.AddRange(File.ReadAllText(listFile).Split('\0', StringSplitOptions.RemoveEmptyEntries)); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    Console.Error.WriteLine($"--images-from {listFile}: cannot be read ({e.Message})");
                    return WorkerExitCodes.BadInput;
                }
            }
            if (paths.Count == 0)
            {
                Console.Error.WriteLine("predict: give image paths or --images-from FILE");
                return WorkerExitCodes.BadInput;
            }
            CnnModel network;
            ModelSidecar sidecar;
            try { (network, sidecar) = CheckpointIO.Load(parse.GetValue(model)!, inferenceBatchSizes: [1]); } // one image at a time
            catch (CheckpointException e)
            {
                Console.Error.WriteLine(e.Message);
                return WorkerExitCodes.BadInput;
            }

            // How images are shaped: the recipe model.json records (an export's), else its dataset's, as for an ONNX
            // model (a Fashion-MNIST model got MNIST's digit crop: 51 % right).
            var recipe = ImageRecipe.Of(sidecar.Preprocessing, sidecar.Dataset, sidecar.ClassNames);
            var failed = false;
            using (network)
            using (no_grad())
            // Held across every native call that reads them, not inline temporaries (see Training/GcSafeOptimizer).
            using (Scalar mean = sidecar.Normalization.Mean, std = sidecar.Normalization.Std)
            {
                foreach (var path in paths)
                {
                    try
                    {
                        var pixels = DigitImagePreprocessor.Load(path, recipe);
                        using var scope = NewDisposeScope();
                        var input = tensor(pixels).reshape(1, 1, 28, 28).sub(mean).div(std);
                        var logits = network.forward(input.to_type(ScalarType.Float32)).data<float>().ToArray();
                        Console.Out.WriteLine(PredictionJson.Entry(path, Prediction.FromLogits(logits), sidecar.ClassNames).ToJsonString());
                    }
                    catch (ImageInputException e)
                    {
                        failed = true;
                        Console.Out.WriteLine(PredictionJson.Error(path, e.Message).ToJsonString());
                    }
                }
            }
            Console.Out.Flush();
            return failed ? WorkerExitCodes.BadInput : WorkerExitCodes.Success;
        });
        return command;
    }
}

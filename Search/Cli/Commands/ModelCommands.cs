using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mnist.Inference.Images;
using Mnist.Inference.Onnx;
using Mnist.Inference.Predictions;
using Mnist.Search.Models;
using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Cli.Commands;

/// <summary><c>study export</c> and <c>predict</c>: the commands that use a trained model (run in Trials).</summary>
internal static class ModelCommands
{
    public static Command Export()
    {
        var name = CommonOptions.StudyName();
        var storage = CommonOptions.Storage();
        var studiesDir = CommonOptions.StudiesDir();
        var outDir = new Option<string>("--out") { Description = "Folder to write the model and its sidecar into", Required = true };
        var format = new Option<string>("--format") { Description = "torchsharp | safetensors | onnx", DefaultValueFactory = _ => "torchsharp" };
        format.AcceptOnlyFromAmong(ModelExporter.Formats);
        var trial = new Option<int?>("--trial") { Description = "Export this trial's own checkpoint instead of the study's model" };
        var command = new Command("export", "Export the retrained model (or the best trial's checkpoint, or --trial N's) with its sidecar") { name, storage, studiesDir, outDir, format, trial };
        command.SetAction(async (parse, ct) =>
        {
            var location = StudyLocation.For(parse.GetValue(name)!, parse.GetValue(storage), parse.GetValue(studiesDir));
            var outFolder = CommonOptions.OutFolder(parse.GetValue(outDir));
            await using var store = await StorageFactory.OpenReadOnlyAsync(location.StorageUrl, Directory.GetCurrentDirectory(), ct);
            var study = await location.FindInAsync(store, ct);
            // The folder may hold a same-named study's models from another storage (issue 11).
            await StudyFolder.VerifyAsync(store, study, location.StudyDirectory, location.StorageDisplay, ct);
            Task<StudyModel> Find(CancellationToken token) => parse.GetValue(trial) is { } number
                ? StudyModel.ForTrialAsync(store, study, number, location.StudyDirectory, token)
                : StudyModel.FindAsync(store, study, location.StudyDirectory, token);
            StudyModel model;
            try { model = await Find(ct); }
            // No retrained model and no COMPLETE trial: "no result yet" (exit 3, as `study best`), not bad input.
            catch (ModelNotFoundException e) when (parse.GetValue(trial) is null)
            {
                if (BestTrial.Of(await store.GetAllTrialsAsync(study.Id, ct: ct), study.Direction) is null) throw new NoCompleteTrialException(e.Message);
                throw;
            }
            var files = await ModelExporter.ExportAsync(model, study, outFolder, parse.GetValue(format)!, TrialsTool.Default(), Find, ct);
            if (!model.Retrained && parse.GetValue(trial) is null) await Console.Error.WriteLineAsync($"warning: study '{study.Name}' has no retrained model; exported trial {model.TrialNumber}'s checkpoint");
            foreach (var f in files) Console.Out.WriteLine(f);
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Predict()
    {
        var model = new Option<string>("--model") { Description = "Model folder: an ONNX export (model.onnx), or a checkpoint (model.bin + model.json) such as studies/NAME/best", Required = true };
        var images = new Argument<string[]>("images") { Description = "PNG, JPEG, BMP, GIF or WebP images of one digit or object each, or folders of them", Arity = ArgumentArity.OneOrMore };
        var format = CommonOptions.Format("table", "json");
        var command = new Command("predict", "Predict the class of each image (shaped as the model's dataset was)") { model, images, format };
        command.SetAction(async (parse, ct) =>
        {
            // An empty path is the user's slip, said as such: Path.GetFullPath's ArgumentException is no longer taken for bad input.
            if (string.IsNullOrWhiteSpace(parse.GetValue(model))) throw new UserInputException("--model: must name a model folder, got an empty value");
            if (parse.GetValue(images)!.Any(string.IsNullOrWhiteSpace)) throw new UserInputException("<images>: an image path is empty");
            var dir = Path.GetFullPath(parse.GetValue(model)!);
            if (!Directory.Exists(dir) && !File.Exists(dir)) throw new UserInputException($"--model {dir}: does not exist{NoRetrainedModelYet(dir)}");
            if (!StudyModel.IsPredictable(dir)) throw new UserInputException($"--model {dir}: not a model folder (needs {OnnxSchema.FileName}, or model.bin and model.json)");
            var items = ImageFiles.Expand(parse.GetValue(images)!.Select(Path.GetFullPath), warning => Console.Error.WriteLine($"warning: {warning}"));
            var paths = items.Where(i => i.Error is null).Select(i => i.Path).ToList();
            // Only folders without images: nothing for the model (Trials refuses an empty list), each gets its error.
            var answers = paths.Count == 0 ? new JsonArray()
                : File.Exists(Path.Combine(dir, OnnxSchema.FileName))
                    ? PredictWithOnnx(Path.Combine(dir, OnnxSchema.FileName), paths)
                    : await PredictWithTorchSharpAsync(dir, paths, ct);
            var results = InArgumentOrder(items, answers);
            if (parse.GetValue(format) == "json") Console.Out.WriteLine(results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            // Classes by name (a Fashion-MNIST model's table showed "digit 7" for a sneaker); the index where there is none.
            else OutputFormat.Write("table", ["image", "class", "probability", "top3", "error"], results.Select(r => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>
            {
                ["image"] = (string?)r!["image"],
                ["class"] = ClassOf(r),
                ["probability"] = r["probability"] is { } p ? Probability(p) : null,
                ["top3"] = r["top"] is JsonArray top ? string.Join("  ", top.Select(t => $"{ClassOf(t!)}:{Probability(t!["probability"]!)}")) : null,
                ["error"] = (string?)r["error"],
            }));
            foreach (var failed in results.Where(r => r!["error"] is not null))
                await Console.Error.WriteLineAsync($"error: {failed!["error"]}");
            // Every image is answered; one that could not be read makes the exit code 2.
            return results.Any(r => r!["error"] is not null) ? ExitCodes.BadInput : ExitCodes.Ok;
        });
        return command;
    }

    // One form for the table's probabilities, four decimals: as a rounded number 0.99998 showed as "1" beside top3's "7:1.0000".
    private static string Probability(JsonNode probability) => ((double)probability).ToString("F4", System.Globalization.CultureInfo.InvariantCulture);

    private static string? ClassOf(JsonNode answer) => (string?)answer["class_name"] ?? answer["digit"]?.ToString();

    /// <summary>
    /// For a study's <c>best/</c> that is not there, how to get a model: studies/NAME/best before any retrain was called
    /// "not a model folder", which sent users looking for what was wrong with a folder that does not exist (audit-cli 14).
    /// </summary>
    private static string NoRetrainedModelYet(string dir)
    {
        var studyFolder = Path.GetDirectoryName(dir);
        if (Path.GetFileName(dir) != Study.StudyFolder.BestFolder || studyFolder is null
            || !(File.Exists(Path.Combine(studyFolder, Study.StudyFolder.MarkerFile)) || File.Exists(Path.Combine(studyFolder, Study.StudyFolder.LogFile))))
            return "";
        var name = Path.GetFileName(studyFolder);
        var studiesDir = Path.GetDirectoryName(studyFolder)!;
        var elsewhere = studiesDir == Path.GetFullPath(StudyPaths.StudiesFolder) ? "" : $" --studies-dir {StudyCommandLine.Quote(studiesDir)}";
        return $" (no retrained model yet: `study retrain {name}{elsewhere}`, or `study export {name}{elsewhere} --out DIR [--trial N]` and `predict --model DIR`)";
    }

    // The model's answers, one per readable path in order, with each folder that gave no image put back where it was
    // given as its error entry, so the output follows the arguments.
    private static JsonArray InArgumentOrder(IReadOnlyList<ImageFiles.Item> items, JsonArray answers)
    {
        var answered = answers.ToList();
        answers.Clear(); // detaches them, so they can join the new array
        var results = new JsonArray();
        var next = 0;
        foreach (var item in items)
            results.Add(item.Error is { } error ? PredictionJson.Error(item.Path, error) : answered[next++]);
        return results;
    }

    // ONNX Runtime, in this process: the coordinator never loads libtorch, and no second process starts.
    private static JsonArray PredictWithOnnx(string modelPath, IReadOnlyList<string> paths)
    {
        using var predictor = OnnxPredictor.Open(modelPath);
        return predictor.Predict(paths);
    }

    // A checkpoint without an ONNX export: the Trials program loads it with TorchSharp.
    private static async Task<JsonArray> PredictWithTorchSharpAsync(string dir, IReadOnlyList<string> paths, CancellationToken ct)
    {
        // The paths go in a file: on the command line tens of thousands of them overflowed ARG_MAX ("Argument list too long").
        const string prefix = "mnist-search-predict";
        Mnist.Protocol.Files.TempLeftovers.Sweep(prefix);
        var list = Path.Combine(Path.GetTempPath(), Mnist.Protocol.Files.TempLeftovers.NameFor(prefix) + ".paths");
        // Readable by this user alone, as the Trials program's own temporary folder: the list names the user's files, and
        // the shared temporary folder is everyone's (it was 0644, audit-security 4).
        var privately = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) privately.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            await using (var writer = new StreamWriter(list, new System.Text.UTF8Encoding(false), privately))
                await writer.WriteAsync(string.Join('\0', paths).AsMemory(), ct);
            var output = await TrialsTool.Default().RunAsync(["predict", "--model", dir, "--format", "json", "--images-from", list], ct);
            // 0, or 2 with every image answered (some unreadable); anything else is Trials failing (killed, out of
            // memory, libtorch aborting), whatever it printed before: its answers were taken as complete.
            if (output.ExitCode is not (ExitCodes.Ok or ExitCodes.BadInput))
                throw new IOException($"predicting with {dir} failed (Trials exited with code {output.ExitCode}): {output.FirstError}");
            // One JSON object per line, one line per image in order.
            var results = new JsonArray();
            try
            {
                foreach (var line in output.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    results.Add(JsonNode.Parse(line)!.AsObject());
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException)
            {
                throw new UserInputException(output.FirstError);
            }
            // Exit 2 and no answer: Trials refused the model itself (a checkpoint it cannot load); its line says why.
            if (results.Count == 0 && output.ExitCode == ExitCodes.BadInput) throw new UserInputException(output.FirstError);
            if (results.Count != paths.Count)
                throw new IOException($"predicting with {dir} failed: Trials answered {results.Count} of {paths.Count} images ({output.FirstError})");
            return results;
        }
        finally
        {
            File.Delete(list);
        }
    }
}

using System.CommandLine;
using Mnist.Protocol.Events;
using Mnist.Protocol.Outputs;
using Mnist.Protocol.Specs;
using Mnist.Trials.Protocol;
using Mnist.Trials.Training;

namespace Mnist.Trials.Commands;

/// <summary>
/// The worker's command line: <c>Trials run --spec FILE [--data-dir DIR] [--out DIR]</c>. Parse errors
/// and bad specs exit with 2; everything else is <see cref="TrialRunner"/>'s.
/// </summary>
internal static class WorkerCommandLine
{
    public static RootCommand Build()
    {
        var spec = new Option<string>("--spec") { Description = "Trial spec (JSON); relative paths in it resolve against its folder", Required = true };
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder with the IDX files (overrides data_dir)" };
        var outDir = new Option<string?>("--out") { Description = "Output folder for model.bin, model.json, metrics.json (overrides out_dir)" };
        var run = new Command("run", "Train one trial, writing JSON-line events to stdout") { spec, dataDir, outDir };
        run.SetAction(parse => RunTrial(parse.GetValue(spec)!, parse.GetValue(dataDir), parse.GetValue(outDir)));
        var root = new RootCommand("Mnist.Search trial worker (TorchSharp); see docs/worker-protocol.md")
        {
            run, ExportCommand.Create(), PredictCommand.Create(), CheckCommand.Create(),
        };
        return root;
    }

    /// <summary>Parses and runs; usage errors exit with <see cref="WorkerExitCodes.BadInput"/> instead of System.CommandLine's 1.</summary>
    public static int Invoke(string[] args)
    {
        var result = Build().Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (result.Errors.Count > 0)
        {
            foreach (var error in result.Errors) Console.Error.WriteLine(error.Message);
            return WorkerExitCodes.BadInput;
        }
        return result.Invoke();
    }

    private static int RunTrial(string specPath, string? dataDir, string? outDir)
    {
        var events = EventWriter.ForStandardOutput();
        TrialSpec spec;
        try
        {
            spec = TrialSpec.Load(specPath, dataDir, outDir);
        }
        // A path the file system refuses (a NUL character in data_dir) is bad input too, not a crash.
        catch (Exception ex) when (ex is SpecException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            var message = ex is SpecException ? ex.Message : $"{specPath}: {ex.Message}";
            Console.Error.WriteLine(message);
            events.Write(EventNames.Error, new System.Text.Json.Nodes.JsonObject { [EventFields.Message] = message });
            return WorkerExitCodes.BadInput;
        }
        var prune = new PruneSignal();
        StdinControl.ExitWithParent(prune);
        return new TrialRunner(events, prune, Console.Error).Run(spec, specPath, outFromCommandLine: outDir is not null);
    }
}

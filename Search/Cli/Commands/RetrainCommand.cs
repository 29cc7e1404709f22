using System.CommandLine;
using System.Text.Json.Nodes;
using Mnist.Search.Config;
using Mnist.Search.Retraining;
using Mnist.Search.Scheduling;
using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Vocabulary;
using Mnist.Search.Workers;

namespace Mnist.Search.Cli.Commands;

/// <summary><c>study retrain NAME</c>: retrain the best trial on the full training set and test it.</summary>
internal static class RetrainCommand
{
    public static Command Create()
    {
        var name = CommonOptions.StudyName();
        var storage = CommonOptions.Storage();
        var studiesDir = CommonOptions.StudiesDir();
        var epochs = new Option<int?>("--epochs") { Description = "Epochs [default: retrain.epochs of the study's configuration]" };
        var maxMinutes = new Option<double?>("--max-minutes")
        {
            Description = "Wall-time budget: fewer epochs when they would not end within it [default: retrain.max_minutes of the study's configuration]",
        };
        var format = CommonOptions.Format("table", "json");
        var command = new Command("retrain", "Retrain the best configuration on train + validation and evaluate it on the test set")
            { name, storage, studiesDir, epochs, maxMinutes, format };
        command.SetAction(async (parse, ct) =>
        {
            var location = StudyLocation.For(parse.GetValue(name)!, parse.GetValue(storage), parse.GetValue(studiesDir));
            if (parse.GetValue(epochs) is < 1 or > Mnist.Protocol.Specs.TrialSpec.MaxEpochs)
                throw new UserInputException($"--epochs: must be an integer in 1..{Mnist.Protocol.Specs.TrialSpec.MaxEpochs}, got {parse.GetValue(epochs)}");
            if (parse.GetValue(maxMinutes) is { } m && MinutesRule.Refusal(m) is { } refusal)
                throw new UserInputException($"--max-minutes: {refusal}, got {m}");
            // Refusals first, on a read-only probe: opened for writing, the storage was switched to WAL, given its reserve
            // file, and the folder claimed (created, marked, the study given a folder id) before "no COMPLETE trial" or "no
            // stored configuration" refused, and a later `study start` of that name was refused for a folder it never had.
            // The best trial and the stored configuration, or the refusal: asked on the probe, then again once open for
            // writing (another process may have changed the study in between).
            async Task<(TrialSnapshot Best, StudyConfig Config)> RetrainableAsync(IStudyStorage storage, StudyInfo study)
            {
                var best = BestTrial.Of(await storage.GetAllTrialsAsync(study.Id, ct: ct), study.Direction)
                    ?? throw new NoCompleteTrialException($"study '{location.Name}' has no COMPLETE trial to retrain");
                var (config, _) = await StoredConfig.ReadAsync(storage, study, location.StorageDisplay, sourceOnThisMachine: true, ct)
                    ?? throw new UserInputException($"study '{location.Name}' has no stored configuration");
                return (best, config);
            }
            await using (var probe = await StorageFactory.OpenReadOnlyAsync(location.StorageUrl, Directory.GetCurrentDirectory(), ct))
            {
                var found = await location.FindInAsync(probe, ct);
                await RetrainableAsync(probe, found);
                await StudyFolder.VerifyAsync(probe, found, location.StudyDirectory, location.StorageDisplay, ct);
            }
            var (store, study) = await location.OpenExistingAsync(ct);
            await using var owned = store;
            await StudyFolder.ClaimAsync(store, study, location.StudyDirectory, location.StorageDisplay, ct);
            var (best, config) = await RetrainableAsync(store, study);
            var settings = ConfigMapping.ToSettings(config, location.StudyDirectory);
            await using var log = Logging.ForStudy(location.StudyDirectory, new Serilog.Core.LoggingLevelSwitch(Serilog.Events.LogEventLevel.Information));
            var retrain = config.Retrain with
            {
                Epochs = parse.GetValue(epochs) ?? config.Retrain.Epochs,
                MaxTime = parse.GetValue(maxMinutes) is { } minutes ? TimeSpan.FromMinutes(minutes) : config.Retrain.MaxTime,
            };
            // The claim `study start` takes for its retrain, taken before anything is said (a refusal is one line; whatever
            // is thrown after it ends the claim as it was): `study delete` refuses while either runs, a second
            // retrain of the study waits for the first instead of sharing its machine, and `study start` knows how best/
            // was made (a retrain with other epochs is not the one it is asked for).
            var (taken, why) = await RetrainClaim.TryTakeAsync(store, study.Id, best.Number, RetrainClaim.Recipe(retrain), log, ct, again: true);
            if (taken is null)
                throw new StudyBusyException($"study '{location.Name}' in {location.StorageDisplay}: {why}; wait for it to end");
            await using var claim = taken;
            var device = RetrainDevice.From(DeviceDiscovery.ForThisMachine(log).Discover(config.Devices, config.Budget.MaxConcurrent, sayIdle: false));
            StudyRun.LogWorkerProgram(config, log);
            var retrainer = new BestModelRetrainer(store, new ProcessWorkerLauncher(), ConfigMapping.Command(config), log,
                StudyCommandLine.For(location.Name, location.StorageUrl, Directory.GetCurrentDirectory()));
            var result = await DeletedStudy.SaidInOneLineAsync(store, study, location.StorageDisplay, () => ClaimedRetrain.RunAsync(claim, study,
                location.StorageDisplay, ct, held => retrainer.RetrainAsync(settings, study, retrain, device, ct, best.Number, held)));
            if (parse.GetValue(format) == "json") OutputFormat.WriteObject("json", RetrainJson(study.Name, result));
            else Console.Out.WriteLine($"Retrained trial {result.TrialNumber}: test accuracy {result.TestAccuracy:P2} (model in {result.Directory})");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// The retrain's outcome for a program: the trial, the test figures, the model's folder and the worker's metrics
    /// (the study's <c>retrain_metrics</c> attribute; what `study best --format json` shows once it is stored).
    /// </summary>
    internal static JsonObject RetrainJson(string study, RetrainResult result) => new()
    {
        ["study"] = study,
        ["trial"] = result.TrialNumber,
        ["test_accuracy"] = OutputFormat.Value(result.TestAccuracy),
        ["test_loss"] = OutputFormat.Value(result.TestLoss),
        ["model_dir"] = result.Directory,
        ["metrics"] = result.Metrics.DeepClone(),
    };
}

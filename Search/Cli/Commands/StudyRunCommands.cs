using System.CommandLine;
using System.Text.Json.Nodes;
using Mnist.Search.Config;
using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Cli.Commands;

/// <summary><c>study start</c>, <c>study resume</c> and <c>study worker</c>: the commands that run trials.</summary>
internal static class StudyRunCommands
{
    public static Command Start()
    {
        var config = new Argument<string>("config") { Description = "Study configuration file", DefaultValueFactory = _ => "search.json" };
        var storage = CommonOptions.ConfigStorage();
        var noRetrain = new Option<bool>("--no-retrain") { Description = "Skip retraining the best configuration at the end" };
        var command = new Command("start", "Start a study from a configuration file, or continue it if it exists. Paths in the file (dataset.dir, storage) are relative to the file's folder; the study's files go to studies/NAME/ there") { config, storage, noRetrain };
        command.SetAction(async (parse, ct) =>
        {
            var path = ConfigPath(parse.GetValue(config), command);
            var loaded = StudyConfigLoader.Load(path);
            return await StudyRun.RunAsync(loaded, File.ReadAllText(path),
                new StudyRun.Options(FromCommandLine(parse.GetValue(storage)), !parse.GetValue(noRetrain), IsJoiningWorker: false), ct);
        });
        return command;
    }

    public static Command Create()
    {
        var config = new Argument<string>("config") { Description = "Study configuration file", DefaultValueFactory = _ => "search.json" };
        var storage = CommonOptions.ConfigStorage();
        var format = CommonOptions.Format("table", "json");
        var command = new Command("create", "Create a study without running trials (then run `study worker` on each machine)") { config, storage, format };
        command.SetAction(async (parse, ct) =>
        {
            var path = ConfigPath(parse.GetValue(config), command);
            var loaded = StudyConfigLoader.Load(path);
            var url = FromCommandLine(parse.GetValue(storage)) ?? loaded.Storage;
            var display = StorageUrl.Parse(url, loaded.BaseDirectory).Display;
            var studyDir = StudyFolder.PathFor(Path.Combine(loaded.BaseDirectory, StudyPaths.StudiesFolder), loaded.Study);
            var settings = ConfigMapping.ToSettings(loaded, studyDir);
            // A file this command creates is removed again unless the study is made in it (refused, interrupted, failed).
            var newDatabase = NewDatabaseFile.Before(url, loaded.BaseDirectory);
            IStudyStorage opened;
            try { opened = await StudyRun.OpenStorageAsync(url, loaded, fromConfig: parse.GetValue(storage) is null, ct); }
            catch
            {
                newDatabase.Remove();
                throw;
            }
            await using var store = opened;
            Vocabulary.StudyInfo study;
            var created = false;
            // What `study start` of this file refuses is refused here too, leaving nothing: "Created" was said, then start
            // refused it.
            try
            {
                await StudyFolder.RefuseIfTakenAsync(store, loaded.Study, studyDir, display, ct);
                await ResumedConfig.RefuseChangedAsync(store, loaded.Study, loaded, StudyRun.StoredSource(loaded, File.ReadAllText(path)), ct);
                (study, created) = await StudyOpener.OpenAsync(store, settings, StudyRun.StoredSource(loaded, File.ReadAllText(path)), ct);
            }
            catch (Exception e) when (e is StudyFolderException || newDatabase.IsNew)
            {
                await store.DisposeAsync();
                newDatabase.Remove(madeTheStudy: created);
                throw;
            }
            if (!created) await ResumedConfig.ReconcileAsync(store, study, loaded, StudyRun.StoredSource(loaded, File.ReadAllText(path)), Logging.Console(), ct);
            await PlainAttributes.WriteTermsAsync(store, study.Id, settings, ct);
            if (parse.GetValue(format) == "json")
                OutputFormat.WriteObject("json", new JsonObject { ["study"] = study.Name, ["storage"] = display, ["created"] = created });
            else Console.Out.WriteLine(created ? $"Created study '{study.Name}' in {display}" : $"Study '{study.Name}' already exists in {display}");
            if (loaded.IdlePrunerWarning is { } idle) await Console.Error.WriteLineAsync(ConsoleText.Line($"warning: {idle}"));
            // Only a warning: the machines that run `study worker` may have the program where this one has none.
            if (StudyRun.MissingWorkerProgram(loaded) is { } missing)
                await Console.Error.WriteLineAsync(ConsoleText.Line($"warning: {loaded.SourcePath}: $.worker.command[0]: {missing} on this machine; " +
                    "`study start` here refuses it, and each machine that runs `study worker` needs it"));
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Resume()
    {
        var name = CommonOptions.StudyName();
        var storage = CommonOptions.Storage();
        var studiesDir = CommonOptions.StudiesDir();
        var noRetrain = new Option<bool>("--no-retrain") { Description = "Skip retraining the best configuration at the end" };
        var command = new Command("resume", "Continue an interrupted study with the configuration stored in it") { name, storage, studiesDir, noRetrain };
        command.SetAction(async (parse, ct) =>
        {
            var location = StudyLocation.For(parse.GetValue(name)!, parse.GetValue(storage), parse.GetValue(studiesDir));
            var (config, text) = await StoredConfigAsync(location, sourceOnThisMachine: true, ct);
            // --studies-dir chooses where it writes, as for `study worker`: it found the database there, then wrote beside
            // the original configuration, into the folder of the study it was copied from, and was refused (audit-analysis 1).
            var studiesRoot = parse.GetValue(studiesDir) is { } root ? Path.GetFullPath(root) : null;
            return await StudyRun.RunAsync(config, text,
                new StudyRun.Options(location.StorageUrl, !parse.GetValue(noRetrain), IsJoiningWorker: false, StudiesRoot: studiesRoot), ct);
        });
        return command;
    }

    public static Command Worker()
    {
        var name = CommonOptions.StudyName();
        var storage = CommonOptions.StorageUrlValue(new Option<string>("--storage") { Description = "Storage URL of the shared study (postgresql://... or sqlite:PATH)", Required = true });
        var devices = new Option<string?>("--devices") { Description = "The devices to run trials on: the study's own setting when left out; auto (this machine's GPUs, else the CPU), cpu, or a list such as cuda:0,cuda:1" };
        // `study submit --studies-dir DIR` put the Slurm logs in DIR/NAME/slurm while its workers, which had no such
        // option, wrote study.log and trials/ under the submit folder's studies/NAME: one study's files in two places.
        var studiesDir = CommonOptions.StudiesDir();
        var command = new Command("worker", "Join an existing study and run its trials on this machine's devices; trial files go to studies/NAME/ in the current folder (or under --studies-dir)") { name, storage, devices, studiesDir };
        command.SetAction(async (parse, ct) =>
        {
            var location = StudyLocation.For(parse.GetValue(name)!, parse.GetValue(storage)!, parse.GetValue(studiesDir));
            var (config, text) = await StoredConfigAsync(location, sourceOnThisMachine: false, ct);
            var studiesRoot = parse.GetValue(studiesDir) is { } root ? Path.GetFullPath(root) : null;
            return await StudyRun.RunAsync(config, text,
                new StudyRun.Options(location.StorageUrl, Retrain: false, IsJoiningWorker: true, ParseDevices(parse.GetValue(devices)), studiesRoot), ct);
        });
        return command;
    }

    // An empty argument is no file name (it came out as .NET's "The value cannot be an empty string"); a mistyped option
    // before the file name is no file name either.
    private static string ConfigPath(string? given, Command command)
    {
        if (string.IsNullOrWhiteSpace(given)) throw new UserInputException("config: a configuration file path is required, got an empty one");
        if (UnknownOption.Is(given)) throw UnknownOption.Refusal(given, command);
        return Path.GetFullPath(given);
    }

    /// <summary>
    /// The configuration stored with the study. A worker on another machine reads it relative to its own
    /// current folder (its data and studies folders), the coordinator's own machine relative to the original file.
    /// </summary>
    private static async Task<(StudyConfig Config, string Text)> StoredConfigAsync(StudyLocation location, bool sourceOnThisMachine, CancellationToken ct)
    {
        // Read-only: a mistyped --storage creates nothing (the run itself opens the storage for writing).
        await using var storage = await StorageFactory.OpenReadOnlyAsync(location.StorageUrl, Directory.GetCurrentDirectory(), ct);
        var study = await location.FindInAsync(storage, ct);
        var stored = await StoredConfig.ReadAsync(storage, study, location.StorageDisplay, sourceOnThisMachine, ct)
            ?? throw StoredConfig.Missing(location.Name, location.StorageDisplay);
        // The Optuna study's name is the study's name: optuna.copy_study gives a copy a new one while its stored
        // configuration still names the original, and the run then looked for that one (audit-analysis 1).
        return StoredConfig.Named(stored.Config, stored.Text, study.Name);
    }

    // A relative sqlite: path on the command line is relative to the current folder, as every other path there is
    // (it was taken relative to the configuration file's folder).
    private static string? FromCommandLine(string? storage) => storage is null ? null : StorageUrl.Anchor(storage, Directory.GetCurrentDirectory());

    // No --devices: the study's own devices setting; "auto": what this machine has (nvidia-smi, else CPU slots).
    private static DevicesConfig? ParseDevices(string? devices)
    {
        switch (devices?.Trim())
        {
            case null: return null;
            case "auto": return DevicesConfig.Auto;
            case "cpu": return new DevicesConfig(DevicesMode.Cpu, []);
        }
        var ids = devices.Split(',', StringSplitOptions.TrimEntries);
        if (ids.Any(d => d.Length == 0))
            throw new UserInputException($"--devices: '{devices}' has an empty entry; give auto, cpu, or a list such as cuda:0,cuda:1");
        // A single unknown word is told all three forms (it was told only a list's: "auto" went unmentioned).
        ids = ids.Select(d => DevicesConfig.NormalizeEntry(d) ?? throw new UserInputException(ids.Length == 1
            ? $"--devices: '{d}' is not auto, cpu, or a list of {DevicesConfig.EntryForms} entries such as cuda:0,cuda:1"
            : $"--devices: '{d}' is not {DevicesConfig.EntryForms}")).ToArray();
        if (ids.Where(d => d != "cpu").GroupBy(d => d).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new UserInputException($"--devices: {twice.Key} is listed twice (one trial per GPU; repeat cpu for more CPU slots)");
        return new DevicesConfig(DevicesMode.List, ids);
    }
}

using System.CommandLine;
using System.Text.Json.Nodes;
using Mnist.Search.Reporting;
using Mnist.Search.Storage;
using Mnist.Search.Study;

namespace Mnist.Search.Cli.Commands;

/// <summary><c>study report NAME</c>: write the HTML report with its figures and print the path of <c>index.html</c>.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var name = CommonOptions.StudyName();
        var storage = CommonOptions.Storage();
        var studiesDir = CommonOptions.StudiesDir();
        var output = new Option<string?>("--out") { Description = "Folder to write the report into: new, empty, or an earlier report [default: studies/NAME/report]" };
        var format = CommonOptions.Format("table", "json");
        var command = new Command("report", "Write an HTML report (history, parallel coordinates, importance, learning curves, device timeline, confusion matrix)")
        {
            name, storage, studiesDir, output, format,
        };
        command.SetAction(async (parse, ct) =>
        {
            var location = StudyLocation.For(parse.GetValue(name)!, parse.GetValue(storage), parse.GetValue(studiesDir));
            var outDir = parse.GetValue(output) is { } given ? CommonOptions.OutFolder(given) : null;
            StudyReportData data;
            await using (var store = await StorageFactory.OpenReadOnlyAsync(location.StorageUrl, Directory.GetCurrentDirectory(), ct))
            {
                await location.FindInAsync(store, ct);
                data = await StudyReportData.LoadAsync(store, location.Name, ct)
                    ?? throw new UserInputException($"unknown study '{location.Name}' in {location.StorageDisplay}");
                var config = await StoredConfigAsync(store, data.Study, ct);
                data = data with { Metric = config?.Objective.Metric, SpaceNames = config?.Space.Names.ToArray() };
                if (outDir is null) await StudyFolder.VerifyAsync(store, data.Study, location.StudyDirectory, location.StorageDisplay, ct);
            }
            var index = StudyReportWriter.Write(data, outDir ?? Path.Combine(location.StudyDirectory, "report"), ct);
            if (parse.GetValue(format) == "json")
                OutputFormat.WriteObject("json", new JsonObject { ["study"] = data.Study.Name, ["index"] = index, ["folder"] = Path.GetDirectoryName(index) });
            else Console.Out.WriteLine(index);
            return ExitCodes.Ok;
        });
        return command;
    }

    // As the read-only views do: a stored configuration that no longer reads (a hand edit, another tool) costs the report
    // the metric's name and the space's parameter order, not the report.
    private static async Task<Config.StudyConfig?> StoredConfigAsync(Storage.IStudyStorage storage, Vocabulary.StudyInfo study, CancellationToken ct)
    {
        try { return (await StoredConfig.ReadAsync(storage, study, study.Name, sourceOnThisMachine: false, ct))?.Config; }
        catch (Exception e) when (e is UserInputException or Config.ConfigException) { return null; }
    }
}

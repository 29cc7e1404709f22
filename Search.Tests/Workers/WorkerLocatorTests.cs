using Mnist.Search.Config;
using Mnist.Search.Tests.Support.Config;
using Mnist.Search.Tests.Support.Workers;
using Mnist.Search.Workers;

namespace Mnist.Search.Tests.Workers;

public sealed class WorkerLocatorTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void WhenTheBuildRecordedTheWorkerFolderThenTheBuiltTrialsWorkerIsFound()
    {
        // Given this test run's build (the test project builds Trials)
        var dir = WorkerLocator.BuiltWorkerDirectory();

        // When the worker is located without an override
        var command = WorkerLocator.Locate(null, dir);

        // Then it is the Trials apphost in that folder
        Assert.NotNull(dir);
        Assert.Equal(Path.Combine(dir!, "Trials"), command.FileName);
        Assert.True(File.Exists(command.FileName));
        Assert.Empty(command.Arguments);
    }

    [Fact]
    public void WhenOnlyTheDllIsBuiltThenTheWorkerRunsThroughDotnet()
    {
        // Given a build folder with Trials.dll but no apphost
        File.WriteAllText(_folder.Combine("Trials.dll"), "");

        // When it is located
        var command = WorkerLocator.Locate(null, _folder.Path);

        // Then dotnet runs the dll
        Assert.Equal("dotnet", Path.GetFileNameWithoutExtension(command.FileName));
        Assert.Equal([_folder.Combine("Trials.dll")], command.Arguments);
    }

    [Fact]
    public void WhenTheOverridePointsAtAnExecutableThenItWins()
    {
        // Given an override to an existing program and a build folder that also has a worker
        var custom = Scripts.WriteExecutable(_folder.Combine("my-trials"), "exit 0");
        File.WriteAllText(_folder.Combine("Trials"), "");

        // When it is located
        var command = WorkerLocator.Locate(custom, _folder.Path);

        // Then the override is used as is
        Assert.Equal(custom, command.FileName);
        Assert.Empty(command.Arguments);
    }

    [Fact]
    public void WhenTheOverridePointsAtADllThenDotnetRunsIt()
    {
        var dll = _folder.Combine("Custom.dll");
        File.WriteAllText(dll, "");

        var command = WorkerLocator.Locate(dll, null);

        Assert.Equal("dotnet", Path.GetFileNameWithoutExtension(command.FileName));
        Assert.Equal([dll], command.Arguments);
    }

    [Fact]
    public void WhenTheOverrideDoesNotExistThenTheErrorNamesTheVariable()
    {
        var error = Assert.Throws<WorkerStartException>(() => WorkerLocator.Locate(_folder.Combine("nope"), _folder.Path));

        Assert.Contains("MNIST_SEARCH_WORKER=", error.Message);
        Assert.Contains("nope", error.Message);
    }

    [Fact]
    public void WhenNothingIsBuiltThenTheErrorSaysHowToFixIt()
    {
        var error = Assert.Throws<WorkerStartException>(() => WorkerLocator.Locate(null, _folder.Path));

        Assert.Contains("not built", error.Message);
        Assert.Contains("dotnet build", error.Message);
        Assert.Contains(_folder.Combine("Trials"), error.Message);
    }

    [Fact]
    public void WhenACustomCommandIsConfiguredThenPlaceholdersAreFilledAndTheLocatorIsNotAsked()
    {
        // Given worker.command with placeholders and a literal brace
        var custom = new WorkerConfig(["/opt/{device}/train", "--spec={spec}", "{out_dir}", "{unknown}", "{trial_number}"]);
        var values = new Dictionary<string, string>
        {
            [WorkerCommandLine.Spec] = "/s/spec.json",
            [WorkerCommandLine.OutDir] = "/s/trials/3",
            [WorkerCommandLine.TrialNumber] = "3",
            [WorkerCommandLine.Device] = "cuda",
        };

        // When the command is built
        var command = WorkerCommandLine.Build(custom, () => throw new InvalidOperationException("located"), values);

        // Then known placeholders are replaced everywhere and others left alone
        Assert.Equal("/opt/cuda/train", command.FileName);
        Assert.Equal(["--spec=/s/spec.json", "/s/trials/3", "{unknown}", "3"], command.Arguments);
    }

    [Fact]
    public void WhenNoCustomCommandIsConfiguredThenTheTrialsWorkerRunsTheSpec()
    {
        // Given a worker run through dotnet
        var located = new WorkerCommand("dotnet", ["/b/Trials.dll"]);

        // When the command is built
        var command = WorkerCommandLine.Build(null, () => located, new Dictionary<string, string> { ["spec"] = "/s/spec.json" });

        // Then it is `dotnet Trials.dll run --spec FILE`
        Assert.Equal("dotnet", command.FileName);
        Assert.Equal(["/b/Trials.dll", "run", "--spec", "/s/spec.json"], command.Arguments);
    }
}

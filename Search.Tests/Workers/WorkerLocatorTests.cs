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
}

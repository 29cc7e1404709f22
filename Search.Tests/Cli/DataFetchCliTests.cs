using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Config;
using Mnist.Search.Tests.Support.Workers;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cli;

/// <summary><c>data fetch</c> through the real command line: a target it cannot use is bad input on one line.</summary>
[Trait(Needs.Name, Needs.FashionMnist)]
public sealed class DataFetchCliTests
{
    [Theory]
    // (an empty --dir gave .NET's "The value cannot be an empty string. (Parameter 'path')")
    [InlineData("", "error: --dir: empty; give the folder for the dataset's files (default: data/<dataset>)")]
    [InlineData("/proc/self", "error: cannot write in /proc/self: ")]
    public async Task ATargetFolderThatCannotBeUsedIsBadInputOnOneLine(string dir, string expected)
    {
        using var cwd = new TempDirectory("cli-fetch");

        var r = await SearchCli.RunAsync(cwd.Path, "data", "fetch", "fashion-mnist", "--dir", dir);

        Assert.Equal(2, r.ExitCode);
        // (one line: the log said first which files were missing from a folder that could not be used anyway)
        Assert.StartsWith(expected, Assert.Single(r.Stderr.Trim().Split('\n')));
        Assert.Empty(Directory.EnumerateFileSystemEntries(cwd.Path));
    }

    [Fact]
    public async Task TheDatasetNameIsTakenInAnyCaseAndAnUnknownOneIsToldTheNames()
    {
        // Given a folder holding MNIST's four files
        using var cwd = new TempDirectory("cli-fetch-case");
        Directory.CreateDirectory(cwd["data"]);
        foreach (var file in Directory.EnumerateFiles(Support.Onnx.MnistFiles.Directory, "*-ubyte"))
            File.Copy(file, cwd[$"data/{Path.GetFileName(file)}"]);

        // When MNIST is fetched into it by its name in capitals, and another dataset is asked for
        var upper = await SearchCli.RunAsync(cwd.Path, "data", "fetch", "MNIST", "--dir", "data");
        var unknown = await SearchCli.RunAsync(cwd.Path, "data", "fetch", "cifar10", "--dir", "data");

        // Then the capitals are mnist (it was refused: "<dataset>: Argument 'MNIST' not recognized"), and the unknown name
        // is told the names there are
        Assert.True(upper.ExitCode == 0, upper.Stderr);
        Assert.Equal($"mnist: verified in {cwd["data"]}", upper.Stdout.Trim());
        Assert.Equal(2, unknown.ExitCode);
        Assert.Equal("error: dataset: expected mnist or fashion-mnist, got 'cifar10'", unknown.Stderr.Trim());
    }

    [Fact]
    public async Task EveryDefaultInTheHelpOfTheseCommandsIsShownOneWayAndStorageNamesStudiesDir()
    {
        // When the help of a command with --storage and --studies-dir, and of data fetch, is shown
        using var cwd = new TempDirectory("cli-help-defaults");
        var status = await SearchCli.RunAsync(cwd.Path, "study", "status", "--help");
        var fetch = await SearchCli.RunAsync(cwd.Path, "data", "fetch", "--help");

        // Then --storage's default says that --studies-dir moves it (it said studies/NAME/study.db only), each default is
        // written "[default: X]", as System.CommandLine writes its own (beside "(default: X)"), and the dataset's names show
        Assert.Contains("[default: sqlite:studies/NAME/study.db, or DIR/NAME/study.db with --studies-dir DIR]", status.Stdout);
        Assert.Contains("[default: studies]", status.Stdout);
        Assert.Contains("[default: data/<dataset>]", fetch.Stdout);
        Assert.Contains("<mnist|fashion-mnist>", fetch.Stdout);
        Assert.DoesNotContain("(default", status.Stdout + fetch.Stdout);
    }

    [Fact]
    public async Task AFileGivenAsTheFolderIsNamedAsSuchOnOneLine()
    {
        // Given a file where the folder is asked for
        using var cwd = new TempDirectory("cli-fetch-file");
        File.WriteAllText(cwd["notes.txt"], "mine");

        // When the dataset is fetched into it
        var r = await SearchCli.RunAsync(cwd.Path, "data", "fetch", "fashion-mnist", "--dir", "notes.txt");

        // Then one line says it is a file (it was .NET's "The file '…' already exists"), and the file is as it was
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"error: cannot write in {cwd["notes.txt"]}: {cwd["notes.txt"]} is a file, not a folder", r.Stderr.Trim());
        Assert.Equal("mine", File.ReadAllText(cwd["notes.txt"]));
    }

    [Fact]
    public async Task AFolderNameWithANewlineIsPrintedOnOneLine()
    {
        // Given a folder name holding a newline (Fashion-MNIST comes from Debian's package, no network)
        using var cwd = new TempDirectory("cli-fetch-newline");

        // When the dataset is fetched into it
        var r = await SearchCli.RunAsync(cwd.Path, "data", "fetch", "fashion-mnist", "--dir", "a\nb");

        // Then the result is one line, the newline shown escaped
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal($"fashion-mnist: verified in {cwd.Path}/a\\nb", Assert.Single(r.Stdout.Trim().Split('\n')));
    }

    [Fact]
    public async Task NpmEndsWhenTheFetchIsKilled()
    {
        // Given an npm (a stand-in that names its pid and sleeps) that a fetch of MNIST reaches once the mirrors fail
        using var cwd = new TempDirectory("cli-fetch-npm");
        Directory.CreateDirectory(cwd["bin"]);
        Scripts.WriteExecutable(cwd["bin/npm"], $"echo $$ > '{cwd["npm.pid"]}.tmp' && mv '{cwd["npm.pid"]}.tmp' '{cwd["npm.pid"]}'\nexec sleep 120");
        var path = new Dictionary<string, string> { ["PATH"] = $"{cwd["bin"]}:{Environment.GetEnvironmentVariable("PATH")}" };
        using var fetch = SearchCli.Start(cwd.Path, path, "data", "fetch", "mnist", "--dir", cwd["data"]);
        fetch.OutputDataReceived += (_, _) => { };
        fetch.ErrorDataReceived += (_, _) => { };
        fetch.BeginOutputReadLine();
        fetch.BeginErrorReadLine();
        for (var wait = System.Diagnostics.Stopwatch.StartNew(); !File.Exists(cwd["npm.pid"]); await Task.Delay(100))
            Assert.True(wait.Elapsed < TimeSpan.FromSeconds(90) && !fetch.HasExited, "npm was never started");
        var npm = int.Parse(File.ReadAllText(cwd["npm.pid"]).Trim(), System.Globalization.CultureInfo.InvariantCulture);

        // When the fetch is killed by SIGKILL, which it cannot clean up after
        fetch.Kill();
        await fetch.WaitForExitAsync();

        // Then npm ends too (it went on downloading, an orphan)
        var gone = System.Diagnostics.Stopwatch.StartNew();
        while (Directory.Exists($"/proc/{npm}") && gone.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(100);
        Assert.False(Directory.Exists($"/proc/{npm}"), $"npm (pid {npm}) outlived the killed fetch");
        // (the killed fetch's npm folder would wait an hour for a later fetch to sweep it)
        foreach (var left in Directory.EnumerateDirectories(Path.GetTempPath(), $"mnist-search-npm-{fetch.Id}-*"))
            Directory.Delete(left, recursive: true);
    }

    [Fact]
    public async Task AStudysDataFolderThatIsAFileIsNamedByItsJsonPath()
    {
        // Given a configuration whose dataset.dir is a file
        using var dir = new TempDirectory("cli-fetch-config");
        File.WriteAllText(dir["search.json"], ConfigJson.Patch("dataset.dir", "\"search.json\""));

        // When the study starts
        var r = await SearchCli.RunAsync(dir.Path, "study", "start", "search.json");

        // Then the error names the file and $.dataset.dir (it named only the folder), and nothing was made
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith($"error: {dir["search.json"]}: $.dataset.dir: cannot write in {dir["search.json"]}", r.Stderr.Trim().Split('\n')[^1]);
        Assert.Equal(["search.json"], Directory.EnumerateFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task AStudysDataFolderHoldingOtherFilesUnderMnistsNamesIsRefusedAndLeftAsItIs()
    {
        // Given a data folder holding real MNIST test files, a train-images file that is not MNIST's (a user's own
        // subset), no train-labels file, and an npm stand-in that records being run
        using var dir = new TempDirectory("cli-fetch-foreign");
        Directory.CreateDirectory(dir["data"]);
        foreach (var name in new[] { "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" })
            File.Copy(Path.Combine(Support.Onnx.MnistFiles.Directory, name), dir[$"data/{name}"]);
        var own = Enumerable.Range(0, 16 + 784).Select(i => (byte)(i * 7)).ToArray();
        File.WriteAllBytes(dir["data/train-images-idx3-ubyte"], own);
        var before = Directory.EnumerateFiles(dir["data"]).ToDictionary(f => f, File.ReadAllBytes);
        Directory.CreateDirectory(dir["bin"]);
        Scripts.WriteExecutable(dir["bin/npm"], $"touch '{dir["npm-ran"]}'; exit 1");
        var path = new Dictionary<string, string> { ["PATH"] = $"{dir["bin"]}:{Environment.GetEnvironmentVariable("PATH")}" };
        File.WriteAllText(dir["search.json"], ConfigJson.Patch("dataset.dir", "\"data\""));

        // When the study starts
        var r = await SearchCli.RunAsync(dir.Path, path, "study", "start", "search.json");

        // Then it is refused in one line naming $.dataset.dir, the file and how to replace it (the study overwrote the
        // user's files with downloaded MNIST and trained on that), before anything is fetched or written
        Assert.Equal(2, r.ExitCode);
        var error = Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.StartsWith($"error: {dir["search.json"]}: $.dataset.dir: train-images-idx3-ubyte: checksum mismatch (sha256 ", error);
        Assert.EndsWith($"not mnist's file, left as it is in {dir["data"]}; `data fetch mnist --dir {dir["data"]}` replaces it with a verified download", error);
        Assert.False(File.Exists(dir["npm-ran"]), "a source was tried");
        Assert.Equal(before.Keys.Order(), Directory.EnumerateFiles(dir["data"]).Order());
        Assert.All(before, f => Assert.Equal(f.Value, File.ReadAllBytes(f.Key)));
        Assert.Equal(["bin", "data", "search.json"], Directory.EnumerateFileSystemEntries(dir.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task AStudysDataFolderHoldingAnotherDatasetIsRefusedNamingThatDatasetNotAdvisingToReplaceIt()
    {
        // Given a Fashion-MNIST study whose dataset.dir is a folder of MNIST's verified files
        using var dir = new TempDirectory("cli-fetch-other-dataset");
        var mnist = Support.Onnx.MnistFiles.Directory;
        File.WriteAllText(dir["search.json"], ConfigJson.Patch("dataset.name", "\"fashion-mnist\"", ConfigJson.Patch("dataset.dir", JsonValue.Create(mnist).ToJsonString())));

        // When the study starts
        var r = await SearchCli.RunAsync(dir.Path, "study", "start", "search.json");

        // Then it is refused in one line saying the files are MNIST's and the study needs a folder of its own (it advised
        // `data fetch fashion-mnist --dir` on that folder, which overwrote the good MNIST copy)
        Assert.Equal(2, r.ExitCode);
        var error = Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.Equal($"error: {dir["search.json"]}: $.dataset.dir: {mnist} holds mnist's files (verified), not fashion-mnist's: " +
            "give fashion-mnist a folder of its own (dataset.dir; by default data/fashion-mnist, where it is fetched)", error);
        Assert.DoesNotContain("data fetch", error);
    }

    [Fact]
    public async Task DataFetchAnswersJsonNamingTheFilesItWrote()
    {
        // Given an empty folder (Fashion-MNIST comes from Debian's package, no network)
        using var cwd = new TempDirectory("cli-fetch-json");

        // When the dataset is fetched twice with --format json
        var first = ParseJson(await SearchCli.RunAsync(cwd.Path, "data", "fetch", "fashion-mnist", "--dir", "fm", "--format", "json"));
        var second = ParseJson(await SearchCli.RunAsync(cwd.Path, "data", "fetch", "fashion-mnist", "--dir", "fm", "--format", "json"));

        // Then the first names the four files it wrote and where from, the second finds them valid and writes none
        Assert.Equal("fashion-mnist", (string?)first["dataset"]);
        Assert.Equal(cwd["fm"], (string?)first["directory"]);
        Assert.Equal(4, first["written"]!.AsObject().Count);
        Assert.Empty(first["already_valid"]!.AsArray());
        Assert.Empty(second["written"]!.AsObject());
        Assert.Equal(4, second["already_valid"]!.AsArray().Count);
    }

    private static JsonObject ParseJson(SearchCli.Result r)
    {
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        return JsonNode.Parse(r.Stdout)!.AsObject();
    }
}

using System.Diagnostics;
using System.Text.RegularExpressions;
using Mnist.Search.Tests.Support.Cli;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// The follow-up commands a run prints quote an argument holding a space or a shell metacharacter: a storage path with
/// a space, pasted, split into several arguments ("Unrecognized command or argument 'with'").
/// </summary>
public sealed class FollowUpHintCliTests
{
    [Fact]
    public async Task TheHintOfAStudyWhoseTrialsAllFailedWorksPastedIntoAShell()
    {
        // Given a study stored under a folder with a space in its name, whose worker fails every trial
        using var dir = new TempDirectory("cli-hint-quoting");
        var config = StudyFiles.WriteConfig(dir.Path, new Support.Study.FakeWorker { Directory = dir["worker"] }.Write(), trials: 2, name: "spc",
            tweak: c =>
            {
                c["storage"] = "sqlite:dir with space/s.db";
                c["worker"] = new System.Text.Json.Nodes.JsonObject { ["command"] = new System.Text.Json.Nodes.JsonArray("/bin/false") };
            });

        // When it runs, and the command its last line suggests is pasted into a shell
        var run = await SearchCli.RunAsync(dir.Path, "study", "start", config);
        var hint = Regex.Match(run.Stdout + run.Stderr, "see `(trials list [^`]*)`");
        Assert.True(run.ExitCode == 3 && hint.Success, run.Stdout + run.Stderr);
        var psi = SearchCli.StartInfo(dir.Path);
        var dll = psi.ArgumentList[0];
        psi.FileName = "/bin/bash";
        psi.ArgumentList.Clear();
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"exec dotnet '{dll}' {hint.Groups[1].Value} --format json");
        var pasted = await SearchCli.RunAsync(psi, TimeSpan.FromMinutes(2));

        // Then the storage argument is quoted and the pasted command lists the failed trials
        Assert.Contains($"--storage 'sqlite:///{dir["dir with space/s.db"]}' --state FAIL", hint.Groups[1].Value);
        Assert.True(pasted.ExitCode == 0, pasted.Stderr);
        Assert.Equal(2, System.Text.Json.Nodes.JsonNode.Parse(pasted.Stdout)!.AsArray().Count);
    }
}

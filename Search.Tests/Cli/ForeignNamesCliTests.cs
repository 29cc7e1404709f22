using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// Names and labels other tools stored (a study name with ANSI escapes or a newline, a 400-character one, a parameter
/// name, a choice label, a user attribute) reach a terminal as one visible line each (<c>\u001b</c>, <c>\n</c>): they were
/// printed raw, so a name could clear the reader's screen, split a table row into two "studies", or squeeze every other
/// column. <c>--format json</c> keeps them exact.
/// </summary>
[Trait(Needs.Name, Needs.Optuna4)]
public sealed class ForeignNamesCliTests
{
    private const string Red = "\u001b[31mred\u001b[0m";

    [Fact]
    public async Task NamesOptunaStoredAreShownOnOneVisibleLineInTablesTitlesAndErrors()
    {
        // Given studies Optuna 4 made with such names, the red one with a trial whose parameter name, choice label and
        // user attribute carry escapes and newlines
        using var dir = new TempDirectory("cli-foreign-names");
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            optuna.logging.set_verbosity(optuna.logging.ERROR)
            s = optuna.create_study(study_name="\x1b[31mred\x1b[0m", storage=sys.argv[1], direction="maximize")
            s.enqueue_trial({"p\x1b[2Jq": "a\nb"})  # (suggested at random, the choice was "c" half the time)
            def objective(t):
                t.suggest_categorical("p\x1b[2Jq", ["a\nb", "c"])
                t.set_user_attr("epochs", "x\x1b[2Jy\nz")
                return 0.5
            s.optimize(objective, n_trials=1)
            optuna.create_study(study_name="two\nlines", storage=sys.argv[1])
            optuna.create_study(study_name="N" * 400, storage=sys.argv[1])
            """, $"sqlite:///{dir["w.db"]}");
        string[] at = ["--storage", "sqlite:w.db"];

        // When they are listed, shown and asked for in tables, as JSON, and in an error
        var list = await SearchCli.RunAsync(dir.Path, ["study", "list", .. at]);
        var listJson = await SearchCli.RunAsync(dir.Path, ["study", "list", .. at, "--format", "json"]);
        var status = await SearchCli.RunAsync(dir.Path, ["study", "status", Red, .. at]);
        var best = await SearchCli.RunAsync(dir.Path, ["study", "best", Red, .. at]);
        var trials = await SearchCli.RunAsync(dir.Path, ["trials", "list", Red, .. at]);
        var show = await SearchCli.RunAsync(dir.Path, ["trials", "show", Red, "0", .. at]);
        var noBest = await SearchCli.RunAsync(dir.Path, ["study", "best", "two\nlines", .. at]);

        // Then no escape reaches the terminal, each name is one visible line, and the long one is cut and counted
        foreach (var r in new[] { list, status, best, trials, show }) Assert.True(r.ExitCode == 0, r.Stderr);
        foreach (var text in new[] { list, status, best, trials, show, noBest }.SelectMany(r => new[] { r.Stdout, r.Stderr }))
            Assert.DoesNotContain('\u001b', text);
        Assert.Contains(@"\u001b[31mred\u001b[0m", list.Stdout);
        Assert.Contains(@"two\nlines", list.Stdout);
        Assert.DoesNotContain(list.Stdout.Split('\n'), l => l.Contains("│ lines"));
        Assert.Contains("(400 characters in all)", list.Stdout);
        Assert.DoesNotContain(new string('N', 100), list.Stdout);
        Assert.Contains("MAXIMIZE", list.Stdout);
        Assert.Contains(@"Study \u001b[31mred\u001b[0m", status.Stdout);
        Assert.Contains(@"p\u001b[2Jq", trials.Stdout);
        Assert.Contains(@"a\nb", trials.Stdout);
        Assert.Contains(@"x\u001b[2Jy\nz", show.Stdout);
        Assert.Equal(3, noBest.ExitCode);
        Assert.Equal(@"error: study 'two\nlines' has no COMPLETE trial yet", noBest.Stderr.Trim());
        // And JSON keeps every name exact
        var names = JsonNode.Parse(listJson.Stdout)!.AsArray().Select(s => (string)s!["study"]!).ToList();
        Assert.Equal([Red, "two\nlines", new string('N', 400)], names);
    }
}

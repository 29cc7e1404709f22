using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// Tables in an ordinary terminal: at 80 columns `trials list` showed 0.1534 as <c>0.1</c> over <c>534</c>, COMPLETE
/// as <c>COM</c>/<c>PLE</c>/<c>TE</c> and its headers as <c>num…</c> (audit-cli 2). A table wider than the terminal is
/// now as wide as it needs, with no value, state, header or path cut; and COLUMNS sets the width of output to a pipe.
/// </summary>
public sealed partial class TableWidthCliTests : IClassFixture<TableWidthCliTests.StudyFolder>
{
    private readonly StudyFolder _study;

    public TableWidthCliTests(StudyFolder study) => _study = study;

    public sealed class StudyFolder : IAsyncLifetime
    {
        private readonly TempDirectory _dir = new("cli-tables");

        public string Path => _dir.Path;

        public async Task InitializeAsync()
        {
            // Two trials, the second failing: states of both lengths, a value, parameters and an error column.
            var worker = new FakeWorker
            {
                Directory = _dir["worker"], Epochs = 1, EpochSeconds = 0.01,
                Behaviours = { [1] = FakeWorker.Behaviour.Crash },
            }.Write();
            var config = StudyFiles.WriteConfig(Path, worker, trials: 2);
            var start = await SearchCli.RunAsync(Path, "study", "start", config);
            Assert.True(start.ExitCode == 0, start.Stderr);
        }

        public Task DisposeAsync()
        {
            _dir.Dispose();
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task TrialsListInAnEightyColumnTerminalCutsNoHeaderStateValueOrParameter()
    {
        // Given a study of two trials, and its trials as JSON
        var trials = JsonNode.Parse((await SearchCli.RunAsync(_study.Path, "trials", "list", "cli-study", "--format", "json")).Stdout)!.AsArray();

        // When they are listed as a table in a terminal 80 columns wide
        var lines = await InTerminalAsync(80, "trials", "list", "cli-study");

        // Then the header has every column's whole name, and each trial's row has its whole state, value and parameters
        var header = Assert.Single(lines, l => l.StartsWith("│ number ", StringComparison.Ordinal));
        foreach (var column in new[] { "state", "value", "epochs_done", "duration_s", "device", "conv1_channels", "learning_rate", "batch_size", "error" })
            Assert.Contains($"│ {column} ", header);
        foreach (var trial in trials.Select(t => t!))
        {
            var row = Assert.Single(lines, l => l.StartsWith($"│ {(int)trial["number"]!} ", StringComparison.Ordinal));
            Assert.Contains($"│ {(string)trial["state"]!} ", row);
            if (trial["value"] is JsonValue value) Assert.Contains($"│ {Cell(value)} ", row);
            foreach (var (_, parameter) in trial["params"]!.AsObject()) Assert.Contains($"│ {Cell(parameter!.AsValue())} ", row);
        }
    }

    [Fact]
    public async Task StudyListAndTrialsShowInAnEightyColumnTerminalKeepStoragePathsAndStatesWhole()
    {
        // Given the study's storage and trial 0's log path, longer than 80 columns with the test's folder
        var detail = JsonNode.Parse((await SearchCli.RunAsync(_study.Path, "trials", "show", "cli-study", "0", "--format", "json")).Stdout)!;
        var log = (string)detail["stdout_log"]!;
        var storage = (string)JsonNode.Parse((await SearchCli.RunAsync(_study.Path, "study", "list", "--format", "json")).Stdout)![0]!["storage"]!;

        // When studies are listed, and the trial shown, in a terminal 80 columns wide
        var list = await InTerminalAsync(80, "study", "list");
        var show = await InTerminalAsync(80, "trials", "show", "cli-study", "0");

        // Then each of them is on one line, whole
        Assert.Contains(list, l => l.Contains($"│ {storage} ", StringComparison.Ordinal) && l.Contains("│ MAXIMIZE ", StringComparison.Ordinal));
        Assert.Contains(show, l => l.Contains($"│ {log} ", StringComparison.Ordinal));
        Assert.Contains(show, l => l.Contains("│ COMPLETE ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ColumnsSetsTheWidthOfATableWrittenToAPipe()
    {
        // Given a study whose status lists its counts as one sentence, about 50 characters long

        // When its status is written to a pipe with COLUMNS=50
        var r = await SearchCli.RunAsync(_study.Path, new Dictionary<string, string> { ["COLUMNS"] = "50" }, "study", "status", "cli-study");

        // Then the sentence wraps between its words to fit 50 columns (it was laid out for 80, whatever COLUMNS said),
        // and no count is cut
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.Split('\n');
        var counts = Assert.Single(lines, l => l.Contains("│ trials ", StringComparison.Ordinal));
        Assert.DoesNotContain("WAITING", counts);
        Assert.Contains(lines, l => l.Contains("WAITING 0", StringComparison.Ordinal));
        Assert.All(lines.Where(l => l.StartsWith('│') && l.Contains("RUNNING", StringComparison.Ordinal)), l => Assert.True(l.Length <= 50, l));
    }

    // A parameter or value as the table writes it: six significant digits for a fraction.
    private static string Cell(JsonValue value) =>
        value.TryGetValue<double>(out var d) && d != Math.Floor(d) ? d.ToString("G6", CultureInfo.InvariantCulture) : value.ToJsonString().Trim('"');

    // What the command wrote to a pseudo-terminal of this width (script(1), as a user's terminal runs it), as lines.
    private async Task<IReadOnlyList<string>> InTerminalAsync(int columns, params string[] args)
    {
        var psi = SearchCli.StartInfo(_study.Path);
        var command = $"stty cols {columns}; exec " + string.Join(' ', new[] { "dotnet", psi.ArgumentList[0] }.Concat(args).Select(a => "'" + a.Replace("'", "'\\''") + "'"));
        psi.FileName = "script";
        psi.ArgumentList.Clear();
        foreach (var a in new[] { "-q", "-e", "-c", command, "/dev/null" }) psi.ArgumentList.Add(a);
        psi.Environment["TERM"] = "xterm";
        psi.Environment.Remove("COLUMNS");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await p.WaitForExitAsync(timeout.Token);
        Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}: {await stdout}{await stderr}");
        return Escape().Replace(await stdout, "").Replace("\r", "").Split('\n');
    }

    [GeneratedRegex(@"\x1b(\[[0-9;?]*[A-Za-z]|[=>])")]
    private static partial Regex Escape();
}

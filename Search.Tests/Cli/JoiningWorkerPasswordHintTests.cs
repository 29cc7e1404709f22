using System.Text.RegularExpressions;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Faults;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cli;

/// <summary>The hint of an interrupted `study worker` whose storage URL held a PostgreSQL password (a Kubernetes pod's).</summary>
// Its own cluster: a role with a password needs pg_hba.conf, which a server given by MNIST_SEARCH_PG_URL (CI's) does not let us edit.
[Trait(Needs.Name, Needs.PostgreSql)]
public sealed class JoiningWorkerPasswordHintTests(PrivatePostgresServerFixture postgres) : IClassFixture<PrivatePostgresServerFixture>
{
    [Fact]
    public async Task TheHintsUrlLeavesThePasswordOutAndWorksWhenPastedWithPgpassword()
    {
        // Given a study in a database whose role must give its password, and a worker given the URL with the password
        var (url, password) = await postgres.CreatePasswordDatabaseAsync();
        using var dir = new TempDirectory("worker-pw-hint");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 4, EpochSeconds = 1 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2, tweak: c => c["storage"] = url);
        var created = await SearchCli.RunAsync(dir.Path, "study", "create", config);
        Assert.True(created.ExitCode == 0, created.Stderr);
        using var run = SearchCli.Start(dir.Path, "study", "worker", "cli-study", "--storage", url, "--devices", "cpu");
        var stderr = run.StandardError.ReadToEndAsync();
        _ = run.StandardOutput.ReadToEndAsync();
        try
        {
            await worker.UntilStartedAsync(run, stderr);

            // When it is stopped
            await Signals.StopAsync(run, UnixSignal.Term);

            // Then its hint names the storage without the password and says where it goes (it showed *** in its place,
            // which failed to authenticate when pasted)
            var text = await stderr;
            Assert.True(run.ExitCode == 130, text);
            var line = Assert.Single(text.Split('\n'), l => l.Contains("Interrupted:"));
            Assert.DoesNotContain("***", line);
            Assert.DoesNotContain(password, line);
            Assert.EndsWith("(the password in PGPASSWORD)", line);
            var hinted = Regex.Match(line, "`study worker cli-study --storage ([^` ]+)`").Groups[1].Value;
            Assert.NotEqual("", hinted);

            // ...and the URL, pasted with the password in PGPASSWORD, opens the study
            var status = await SearchCli.RunAsync(dir.Path, new Dictionary<string, string> { ["PGPASSWORD"] = password },
                "study", "status", "cli-study", "--storage", hinted);
            Assert.True(status.ExitCode == 0, status.Stderr);
        }
        finally
        {
            if (!run.HasExited) run.Kill(entireProcessTree: true);
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Mnist.Search.Config;
using Mnist.Search.Retraining;
using Mnist.Search.Study;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Workers;
using Serilog;

namespace Mnist.Search.Tests.Retraining;

/// <summary>
/// A retrain whose claim another process took over for the same trial, and whose taker then stopped retraining (its
/// retrain failed, or its process ended) before this one's model was complete, takes the claim back and puts its model
/// into best/. The check before the swap counted any changed claim as a takeover: the complete model was deleted and
/// best/ got nothing new until another run. A real SQLite study and a real (fake) worker process.
/// </summary>
public sealed class RetrainTakenBackTests
{
    [Theory]
    [InlineData("failed", 600.0)] // another host's retrain of the trial ended failed; seen before the swap
    [InlineData("ended", 600.0)] // a process of this host that took it has ended, its claim still "running"
    [InlineData("failed", 0.2)] // seen by a renewal while the retrain runs (it stopped the retrain: nobody retrained)
    public async Task AModelCompletedAfterTheClaimsTakerStoppedGoesIntoBestAndTheClaimEndsDoneForItsTrial(string taker, double renewSeconds)
    {
        // Given a study of one trial whose trial 0 this process claimed for its retrain (1.5 s long), renewed every 10
        // minutes (no renewal falls within the test) or every 0.2 s
        await using var h = await CoordinatorHarness.CreateAsync(trials: 1, new FakeWorker { Directory = "", RetrainSeconds = 1.5 });
        var (study, _) = await h.RunAsync(CoordinatorHarness.Cpu());
        var retrain = new RetrainConfig(true, 1, null);
        var (claim, why) = await RetrainClaim.TryTakeAsync(h.Storage, study.Id, 0, RetrainClaim.Recipe(retrain), Log.Logger, default, TimeSpan.FromSeconds(renewSeconds));
        Assert.True(claim is not null, why);
        await using var held = claim;

        // When another process takes the claim for trial 0 (as after renewals that came late through an outage), and its
        // retrain ends failed or its process ends, before this process's retrain reaches its swap
        await h.Storage.SetStudySystemAttrAsync(study.Id, RetrainClaim.Attribute, await TakerAsync(taker));
        var retrainer = new BestModelRetrainer(h.Storage, new ProcessWorkerLauncher(TimeSpan.FromSeconds(2)), new TrialCommand(h.Worker.Command), Log.Logger);
        var result = await retrainer.RetrainAsync(h.Settings, study, retrain, CoordinatorHarness.Cpu()[0], default, trialNumber: 0, claim: claim);
        await claim.EndAsync(done: true);

        // Then the retrained model is in best/ (it was deleted, the retrain thrown as taken over), and the claim is this
        // process's, done for trial 0
        Assert.Equal(0, result.TrialNumber);
        var best = Path.Combine(h.Settings.StudyDirectory, StudyFolder.BestFolder);
        Assert.Equal(0, (int?)JsonNode.Parse(File.ReadAllText(Path.Combine(best, "retrain.json")))!["trial"]);
        var stored = JsonNode.Parse((await h.Storage.GetStudySystemAttributesAsync(study.Id))[RetrainClaim.Attribute])!;
        Assert.Equal((0, "done", Environment.ProcessId), ((int?)stored["trial"], (string?)stored["state"], (int?)stored["pid"]));
    }

    private static async Task<JsonObject> TakerAsync(string taker)
    {
        var (host, pid, instance, state) = ("another-host", 4242, (string?)"other-boot/pid:[1]/7", "failed");
        if (taker == "ended")
        {
            using var process = Process.Start("sleep", "30");
            (host, pid, instance, state) = (ProcessIdentity.Current.Host, process.Id, ProcessIdentity.InstanceOf(process.Id), "running");
            process.Kill();
            await process.WaitForExitAsync();
        }
        return new JsonObject
        {
            ["trial"] = 0,
            ["host"] = host,
            ["pid"] = pid,
            ["instance"] = instance,
            ["state"] = state,
            ["at"] = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
        };
    }
}

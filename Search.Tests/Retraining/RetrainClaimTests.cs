using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Mnist.Search.Retraining;
using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Scheduling;
using Mnist.Search.Vocabulary;
using Serilog.Events;

namespace Mnist.Search.Tests.Retraining;

/// <summary>
/// The retrain claim on a real SQLite study: renewed by its holder while it retrains, so a holder that died on another
/// host or container is known within minutes (it used to be trusted for 12 h), and never written over once another
/// process took it.
/// </summary>
public sealed class RetrainClaimTests : IAsyncLifetime
{
    private static readonly TimeSpan Fast = TimeSpan.FromMilliseconds(100);
    private const string AsAsked = "epochs 1, max_minutes none";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly TempDirectory _dir = new("retrain-claim");
    private IStudyStorage _storage = null!;
    private int _studyId;

    public async Task InitializeAsync()
    {
        _storage = await StorageFactory.OpenAsync("sqlite:" + _dir["study.db"], _dir.Path);
        _studyId = (await _storage.CreateStudyAsync("claimed", StudyDirection.MAXIMIZE)).Study.Id;
    }

    public async Task DisposeAsync()
    {
        await _storage.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task AClaimOfAnotherHostNotRenewedWithinTheStaleWindowIsTakenOver()
    {
        // Given a running claim of another host's process, last renewed 4 minutes ago (past the stale window of 3 min; it was 12 h)
        await StoreAsync(Claim("another-host", 4242, "other-boot/pid:[1]/7", DateTime.UtcNow - TimeSpan.FromMinutes(4)));

        // When this process asks for it
        var (claim, why) = await RetrainClaim.TryTakeAsync(_storage, _studyId, 3, AsAsked, Serilog.Core.Logger.None, default, Fast);

        // Then it has it
        Assert.True(claim is not null, why);
        await claim.DisposeAsync();
        Assert.Equal(Environment.ProcessId, (int?)(await StoredAsync())!["pid"]);
    }

    [Fact]
    public async Task AClaimOfAnotherHostRenewedWithinTheStaleWindowIsNotTakenOver()
    {
        // Given a running claim of another host's process, renewed 30 s ago
        await StoreAsync(Claim("another-host", 4242, "other-boot/pid:[1]/7", DateTime.UtcNow - TimeSpan.FromSeconds(30)));

        // When this process asks for it
        var (claim, why) = await RetrainClaim.TryTakeAsync(_storage, _studyId, 3, AsAsked, Serilog.Core.Logger.None, default, Fast);

        // Then it is refused, naming the holder, and the claim is left as it was
        Assert.Null(claim);
        Assert.Equal("trial 3 is being retrained by another-host pid 4242", why);
        Assert.Equal("another-host", (string?)(await StoredAsync())!["host"]);
    }

    [Fact]
    public async Task AJustRenewedClaimOfAProcessOfThisHostThatEndedIsTakenOverAtOnce()
    {
        // Given a claim renewed a moment ago by a process of this host that has since been killed
        using var holder = Process.Start("sleep", "30");
        var identity = new ProcessIdentity(ProcessIdentity.Current.Host, holder.Id, ProcessIdentity.InstanceOf(holder.Id));
        holder.Kill();
        await holder.WaitForExitAsync();
        await StoreAsync(Claim(identity.Host, identity.Pid, identity.Instance, DateTime.UtcNow));

        // When this process asks for it
        var (claim, why) = await RetrainClaim.TryTakeAsync(_storage, _studyId, 3, AsAsked, Serilog.Core.Logger.None, default, Fast);

        // Then it has it without waiting for the claim to go stale
        Assert.True(claim is not null, why);
        await claim.DisposeAsync();
    }

    [Fact]
    public async Task WhileAClaimIsHeldItsTimeAdvancesAndOnceEndedItStops()
    {
        // Given a claim taken by this process, renewed every 100 ms, and a witness claim of another study renewed as often
        var (claim, why) = await RetrainClaim.TryTakeAsync(_storage, _studyId, 3, AsAsked, Serilog.Core.Logger.None, default, Fast);
        Assert.True(claim is not null, why);
        await using var witness = await WitnessAsync();
        var taken = At(await StoredAsync());

        // When it is held for a while
        var renewed = await WaitForAsync(async () => At(await StoredAsync()) > taken);

        // Then its "at" advances, and once ended "done" it is neither renewed nor running any more
        Assert.True(renewed, "the claim's at did not advance while it was held");
        await claim.EndAsync(done: true);
        var ended = await _storage.GetStudySystemAttributesAsync(_studyId);
        Assert.True(await RenewedTwiceAsync(witness), "the witness claim was not renewed: no renewal was due meanwhile");
        Assert.Equal(ended[RetrainClaim.Attribute], (await _storage.GetStudySystemAttributesAsync(_studyId))[RetrainClaim.Attribute]);
        Assert.Equal("done", (string?)(await StoredAsync())!["state"]);
        await claim.DisposeAsync();
    }

    [Fact]
    public async Task AClaimTakenOverIsNeitherRenewedNorEndedOverTheNewHolderAndStopsItsRetrain()
    {
        // Given a claim held by this process, renewed every 100 ms, and a witness claim of another study renewed as often
        var (claim, why) = await RetrainClaim.TryTakeAsync(_storage, _studyId, 3, AsAsked, Serilog.Core.Logger.None, default, Fast);
        Assert.True(claim is not null, why);
        await using var witness = await WitnessAsync();

        // When another host's process takes it over for trial 5, the study's best now (as study start does)
        var theirs = Claim("another-host", 4242, "other-boot/pid:[1]/7", DateTime.UtcNow);
        theirs["trial"] = 5;
        await StoreAsync(theirs);
        var noticed = await WaitForAsync(() => Task.FromResult(claim.TakenOver.IsCancellationRequested));
        var renewalsWereDue = await RenewedTwiceAsync(witness);
        var beforeSwap = await claim.TakenOverBeforeSwapAsync(default);
        await claim.EndAsync(done: true);

        // Then its retrain is told to stop (it went on, and swapped its older model into best/ after the new holder's),
        // the check before the swap says who took it, and the new holder's claim is left exactly as it wrote it
        Assert.True(noticed, "the renewal did not see the takeover");
        Assert.True(renewalsWereDue, "the witness claim was not renewed: no renewal was due after the takeover");
        Assert.Equal("another-host pid 4242 took over the retrain claim to retrain trial 5, the study's best now", beforeSwap);
        Assert.True(JsonNode.DeepEquals(theirs, await StoredAsync()), (await StoredAsync())?.ToJsonString());
        await claim.DisposeAsync();
    }

    [Fact]
    public async Task ATakeoverBetweenRenewalsIsSeenByTheCheckBeforeTheSwap()
    {
        // Given a claim held by this process, renewed every 10 minutes (no renewal falls within the test)
        var (claim, why) = await RetrainClaim.TryTakeAsync(_storage, _studyId, 3, AsAsked, Serilog.Core.Logger.None, default, TimeSpan.FromMinutes(10));
        Assert.True(claim is not null, why);
        var held = await claim.TakenOverBeforeSwapAsync(default);

        // When another process takes it over for trial 5 and ends it done, then this one's retrain reaches its swap
        var theirs = Claim("another-host", 4242, "other-boot/pid:[1]/7", DateTime.UtcNow);
        theirs["trial"] = 5;
        theirs["state"] = "done";
        await StoreAsync(theirs);
        var lost = await claim.TakenOverBeforeSwapAsync(default);
        await claim.DisposeAsync();

        // Then the check passed while it held the claim, and after the takeover says who retrained the newer best (the
        // retrain swapped its model in unchecked); the done claim is left as it was
        Assert.Null(held);
        Assert.Equal("another-host pid 4242 took over the retrain claim and retrained trial 5, the study's best now", lost);
        Assert.True(JsonNode.DeepEquals(theirs, await StoredAsync()), (await StoredAsync())?.ToJsonString());
    }

    [Fact]
    public async Task ARenewalTheDatabaseRefusesIsLoggedAndTriedAgainUntilItGoesThrough()
    {
        // Given a claim held by this process, renewed every 100 ms
        var (log, sink) = CollectingSink.Create();
        var (claim, why) = await RetrainClaim.TryTakeAsync(_storage, _studyId, 3, AsAsked, log, default, Fast);
        Assert.True(claim is not null, why);

        // When its database file is moved away (new connections open an empty file without the study's tables), then back
        var files = new[] { "", "-wal", "-shm" }.Select(s => _dir["study.db"] + s).ToList();
        await _storage.DisposeAsync(); // closes the pooled connections, so the next renewal opens the file again
        foreach (var f in files.Where(File.Exists)) File.Move(f, f + ".away");
        var failed = await WaitForAsync(() => Task.FromResult(sink.Messages(LogEventLevel.Warning).Count(m => m.Contains("Could not renew", StringComparison.Ordinal)) >= 2));
        foreach (var f in files) File.Delete(f);
        foreach (var f in files.Where(f => File.Exists(f + ".away"))) File.Move(f + ".away", f, overwrite: true);
        await _storage.DisposeAsync(); // and again: connections opened meanwhile hold the empty file
        var before = At(await StoredAsync());
        var renewed = await WaitForAsync(async () => At(await StoredAsync()) > before);

        // Then each refused renewal was logged and the next one tried, and the claim is renewed again and still ends
        Assert.True(failed, "failed renewals were not logged and tried again");
        Assert.True(renewed, "the claim was not renewed once the database was back");
        await claim.EndAsync(done: true);
        Assert.Equal("done", (string?)(await StoredAsync())!["state"]);
        await claim.DisposeAsync();
    }

    [Fact]
    public async Task StudyRetrainTakesADoneClaimAndALiveClaimIsRefusedWhateverItsTrial()
    {
        // Given trial 3's retrain done, then a live retrain of trial 5 by another host's process
        var done = Claim("another-host", 4242, "other-boot/pid:[1]/7", DateTime.UtcNow - TimeSpan.FromDays(2));
        done["state"] = "done";
        await StoreAsync(done);

        // When `study retrain` asks for trial 3 (which `study start` would not retrain again), and later for trial 3
        // while trial 5 is retrained
        var (start, whyStart) = await RetrainClaim.TryTakeAsync(_storage, _studyId, 3, AsAsked, Serilog.Core.Logger.None, default, Fast);
        var (again, whyAgain) = await RetrainClaim.TryTakeAsync(_storage, _studyId, 3, AsAsked, Serilog.Core.Logger.None, default, Fast, again: true);
        Assert.True(again is not null, whyAgain);
        Assert.Equal(Environment.ProcessId, (int?)(await StoredAsync())!["pid"]);
        await again.EndAsync(done: true);
        await again.DisposeAsync();
        var live = Claim("another-host", 4242, "other-boot/pid:[1]/7", DateTime.UtcNow - TimeSpan.FromSeconds(5));
        live["trial"] = 5;
        await StoreAsync(live);
        var (second, whySecond) = await RetrainClaim.TryTakeAsync(_storage, _studyId, 3, AsAsked, Serilog.Core.Logger.None, default, Fast, again: true);

        // Then the done claim is taken (`study start` was refused it), and the live one is refused naming its trial and
        // holder and left as it was (`study start` would take it over: its best trial differs)
        Assert.Null(start);
        Assert.Equal("trial 3 was already retrained by another-host pid 4242", whyStart);
        Assert.Null(second);
        Assert.Equal("trial 5 is being retrained by another-host pid 4242", whySecond);
        Assert.Equal(5, (int?)(await StoredAsync())!["trial"]);
    }

    [Fact]
    public async Task ADoneClaimCountsForStudyStartOnlyAsAskedAndAFailedRetrainPutsItBack()
    {
        // Given trial 3 retrained as study start asks (its recipe)
        var (first, why) = await RetrainClaim.TryTakeAsync(_storage, _studyId, 3, AsAsked, Serilog.Core.Logger.None, default, Fast);
        Assert.True(first is not null, why);
        await first.EndAsync(done: true);
        await first.DisposeAsync();
        var done = (await StoredAsync())!.ToJsonString();

        // When `study retrain` retrains it again and fails, and another is thrown out before it ends its claim
        var (failing, _) = await RetrainClaim.TryTakeAsync(_storage, _studyId, 3, AsAsked, Serilog.Core.Logger.None, default, Fast, again: true);
        await failing!.EndAsync(done: false);
        var afterFailure = (await StoredAsync())!.ToJsonString();
        var (dropped, _) = await RetrainClaim.TryTakeAsync(_storage, _studyId, 3, AsAsked, Serilog.Core.Logger.None, default, Fast, again: true);
        await dropped!.DisposeAsync();
        var afterDrop = (await StoredAsync())!.ToJsonString();
        // and then `study retrain --epochs 1` checks it, successfully
        var (check, _) = await RetrainClaim.TryTakeAsync(_storage, _studyId, 3, "epochs 1, max_minutes 0.5", Serilog.Core.Logger.None, default, Fast, again: true);
        await check!.EndAsync(done: true);
        await check.DisposeAsync();
        var (start, whyStart) = await RetrainClaim.TryTakeAsync(_storage, _studyId, 3, AsAsked, Serilog.Core.Logger.None, default, Fast);

        // Then the failures put the done claim back as it was (best/ still holds that model: study start would have
        // retrained it for hours), and after the check study start retrains as it asks (it said "already retrained")
        Assert.Equal(done, afterFailure);
        Assert.Equal(done, afterDrop);
        Assert.True(start is not null, whyStart);
        await start.EndAsync(done: true);
        await start.DisposeAsync();
    }

    [Fact]
    public async Task ARetrainThatFailsAfterItsModelWentIntoBestLeavesTheClaimFailedNotTheEarlierDone()
    {
        // Given trial 3 retrained as asked, then retrained again, which fails after its model replaced best/ (a storage
        // write after the swap)
        var (first, _) = await RetrainClaim.TryTakeAsync(_storage, _studyId, 3, AsAsked, Serilog.Core.Logger.None, default, Fast);
        await first!.EndAsync(done: true);
        await first.DisposeAsync();
        var (again, _) = await RetrainClaim.TryTakeAsync(_storage, _studyId, 3, "epochs 1, max_minutes none", Serilog.Core.Logger.None, default, Fast, again: true);
        again!.MarkPromoted();

        // When it ends as failed
        await again.EndAsync(done: false);
        await again.DisposeAsync();

        // Then the claim says failed: the earlier "done" no longer describes best/, and study start retrains as asked
        Assert.Equal("failed", (string?)(await StoredAsync())!["state"]);
        var (start, why) = await RetrainClaim.TryTakeAsync(_storage, _studyId, 3, AsAsked, Serilog.Core.Logger.None, default, Fast);
        Assert.True(start is not null, why);
        await start.DisposeAsync();
    }

    private static JsonObject Claim(string host, int pid, string? instance, DateTime at) => new()
    {
        ["trial"] = 3,
        ["host"] = host,
        ["pid"] = pid,
        ["instance"] = instance,
        ["state"] = "running",
        ["at"] = at.ToString("o", CultureInfo.InvariantCulture),
    };

    private Task StoreAsync(JsonObject claim) => _storage.SetStudySystemAttrAsync(_studyId, RetrainClaim.Attribute, claim);

    private async Task<JsonObject?> StoredAsync(int? studyId = null) =>
        (await _storage.GetStudySystemAttributesAsync(studyId ?? _studyId)).TryGetValue(RetrainClaim.Attribute, out var text) ? JsonNode.Parse(text)!.AsObject() : null;

    private static DateTime At(JsonObject? claim) =>
        DateTime.Parse((string)claim!["at"]!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    // A claim of a second study, held by this process and renewed as often as the one under test. The negative checks
    // ("not renewed once ended", "not written over once taken") slept a few intervals, which proved nothing when the
    // runner was too busy for the renewal timer to fire in them; the witness's renewals show that renewals were due.
    private async Task<Witness> WitnessAsync()
    {
        var study = (await _storage.CreateStudyAsync("witness", StudyDirection.MAXIMIZE)).Study.Id;
        var (claim, why) = await RetrainClaim.TryTakeAsync(_storage, study, 1, AsAsked, Serilog.Core.Logger.None, default, Fast);
        return new Witness(claim ?? throw new InvalidOperationException(why), study);
    }

    private sealed record Witness(RetrainClaim Claim, int StudyId) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Claim.DisposeAsync();
    }

    // True once the witness's "at" has advanced twice from now: a whole renewal interval has passed with the timers running.
    private async Task<bool> RenewedTwiceAsync(Witness witness)
    {
        for (var i = 0; i < 2; i++)
        {
            var before = At(await StoredAsync(witness.StudyId));
            if (!await WaitForAsync(async () => At(await StoredAsync(witness.StudyId)) > before)) return false;
        }
        return true;
    }

    private static async Task<bool> WaitForAsync(Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Patience)
        {
            if (await condition()) return true;
            await Task.Delay(50);
        }
        return false;
    }
}

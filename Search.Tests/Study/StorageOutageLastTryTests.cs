using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Study;

/// <summary>
/// A request that fails when its storage's outage window has ended tries once more at once before the process stops:
/// a PostgreSQL server hung for 6 min answered again in the very millisecond the coordinator stopped for it ("answers
/// again" logged, then "the study stopped"), because its last request had been waiting on the hung server past the
/// window (audit-chaos 1).
/// </summary>
public sealed class StorageOutageLastTryTests
{
    [Fact]
    public async Task ARequestThatFailsPastTheWindowCarriesOnWhenTheDatabaseAnswersItsLastTry()
    {
        // Given a storage whose outage window is 0.2 s
        using var dir = new TempDirectory("outage-last-try");
        await using var storage = await StorageFactory.OpenAsync("sqlite:" + dir["study.db"], dir.Path);
        StorageOutageWindow.Set(storage, TimeSpan.FromMilliseconds(200));

        // When a request fails, fails again once the window has ended (a hung server's reply), and the database answers
        // its next try
        var tries = 0;
        var result = await StorageOutage.RetryAsync(storage, () => ++tries < 3 ? throw new TimeoutException("The operation has timed out.") : Task.FromResult(42),
            Serilog.Core.Logger.None, "recording trial 0");

        // Then the request carries on with the answer instead of ending the study
        Assert.Equal(42, result);
        Assert.Equal(3, tries);
    }

    [Fact]
    public async Task ARequestWhoseLastTryFailsTooEndsWithTheOutageErrorMarkedRiddenOut()
    {
        // Given a storage whose outage window is 0.2 s
        using var dir = new TempDirectory("outage-last-try-fails");
        await using var storage = await StorageFactory.OpenAsync("sqlite:" + dir["study.db"], dir.Path);
        StorageOutageWindow.Set(storage, TimeSpan.FromMilliseconds(200));

        // When the database never answers
        var tries = 0;
        var error = await Assert.ThrowsAsync<TimeoutException>(() => StorageOutage.RetryAsync<int>(storage,
            () => { tries++; throw new TimeoutException("The operation has timed out."); }, Serilog.Core.Logger.None, "recording trial 0"));

        // Then it gave up after its last try, and no caller rides the error out again
        Assert.Equal(3, tries);
        Assert.True(StorageOutage.WasRiddenOut(error));
    }
}

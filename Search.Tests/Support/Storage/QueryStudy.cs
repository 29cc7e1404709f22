using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;
using Mnist.Search.Tests.Storage;

namespace Mnist.Search.Tests.Support.Storage;

/// <summary>A study with a few finished trials written through the real storage, for query and read-only tests.</summary>
internal static class QueryStudy
{
    /// <summary>Creates study <paramref name="name"/> at <paramref name="url"/> with <paramref name="trials"/> COMPLETE trials (value 0.5 + n/10).</summary>
    public static async Task CreateAsync(string url, string baseDirectory, string name = "q", int trials = 2)
    {
        await using var storage = await StorageFactory.OpenAsync(url, baseDirectory);
        var (study, _) = await storage.CreateStudyAsync(name, StudyDirection.MAXIMIZE);
        for (var n = 0; n < trials; n++)
        {
            var t = await storage.CreateTrialAsync(study.Id, TrialState.RUNNING, StudyStorageContract.SomeParams(0.001 * (n + 1)), new Dictionary<string, object?>());
            await storage.FinishTrialAsync(t.Id, TrialState.COMPLETE, 0.5 + n / 10.0);
        }
    }

    /// <summary>The states of the study's trials, read through the real storage.</summary>
    public static async Task<IReadOnlyList<TrialState>> StatesAsync(string url, string baseDirectory, string name = "q")
    {
        await using var storage = await StorageFactory.OpenReadOnlyAsync(url, baseDirectory);
        var study = (await storage.GetStudyAsync(name))!;
        return (await storage.GetAllTrialsAsync(study.Id)).Select(t => t.State).ToList();
    }
}

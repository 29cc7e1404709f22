using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mnist.Protocol.Events;
using Mnist.Search.Tests.Support.Trials;

namespace Mnist.Search.Tests.Protocol.Events;

/// <summary>
/// The worker's events, <see cref="EventFields"/> and docs/worker-protocol.md name the same fields. The worker wrote
/// its own literals beside the constants the coordinator reads, so renaming a constant would have changed one side only.
/// </summary>
[Collection(WorkerProcessCollection.Name)]
public sealed partial class EventFieldsAgreementTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    // Values of EventFields.State, not field names.
    private static readonly string[] Values = [EventFields.Complete, EventFields.Pruned];

    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    private static IReadOnlyList<string> Constants() =>
        [.. typeof(EventFields).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string)).Select(f => (string)f.GetRawConstantValue()!)];

    private static IEnumerable<string> FieldNames() => Constants().Except(Values);

    [Fact]
    public async Task EveryFieldTheWorkerWritesIsAnEventFieldsConstantAndEveryConstantIsWritten()
    {
        // Given a one-epoch trial that evaluates on test (start, epoch, result), and a spec whose data is missing (error)
        SyntheticDigits.WriteDataset(Path.Combine(dir.Path, "data"), trainCount: 200, testCount: 50, gzip: false);
        string good = WriteSpec("good.json", "data");
        string bad = WriteSpec("bad.json", "no-such-data");

        // When the built worker runs both
        var keys = new HashSet<string>();
        foreach (var (spec, expectedExit) in new[] { (good, 0), (bad, 2) })
        {
            using var worker = WorkerRun.Start("run", "--spec", spec);
            int exit = await worker.WaitForExitAsync(Timeout);
            Assert.True(exit == expectedExit, $"{spec}: exit {exit}: {worker.Stderr}");
            foreach (var e in worker.Events) keys.UnionWith(e.Select(p => p.Key));
        }

        // Then every key it wrote is a constant (or the event's own name), and every constant is a key it wrote
        Assert.Contains(EventNames.EventField, keys);
        keys.Remove(EventNames.EventField);
        Assert.Empty(keys.Except(FieldNames()));
        Assert.Empty(FieldNames().Except(keys));
    }

    [Fact]
    public void TheProtocolDocumentNamesEveryConstantAndItsExampleEventsUseNoOther()
    {
        // Given docs/worker-protocol.md's "Events" section
        var text = File.ReadAllText(Path.Combine(Repository.Root, "docs", "worker-protocol.md")).ReplaceLineEndings("\n");
        int start = text.IndexOf("\n## Events", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/worker-protocol.md has no \"## Events\" section");
        int end = text.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var events = text[start..(end < 0 ? text.Length : end)];

        // Then each constant is in it, quoted or as code, and each key of its example lines is a constant
        var undocumented = Constants().Where(c => !events.Contains($"\"{c}\"", StringComparison.Ordinal) && !events.Contains($"`{c}`", StringComparison.Ordinal));
        Assert.Empty(undocumented);
        var exampleKeys = events.Split('\n').Where(l => l.StartsWith("{\"event\":", StringComparison.Ordinal))
            .SelectMany(l => ExampleKey().Matches(l).Select(m => m.Groups[1].Value)).ToHashSet();
        Assert.Contains(EventFields.ValAccuracy, exampleKeys);
        exampleKeys.Remove(EventNames.EventField);
        Assert.Empty(exampleKeys.Except(FieldNames()));
        Assert.Empty(FieldNames().Except(exampleKeys));
    }

    private string WriteSpec(string name, string dataDir)
    {
        var spec = new JsonObject
        {
            ["hyperparameters"] = new JsonObject { ["conv1_channels"] = 4, ["conv2_channels"] = 8, ["fc_width"] = 16, ["batch_size"] = 50 },
            ["epochs"] = 1,
            ["seed"] = 1,
            ["data_dir"] = dataDir,
            ["out_dir"] = "out-" + name,
            ["threads"] = 1,
            ["validation"] = 50,
            ["evaluate_test"] = true,
        };
        string path = Path.Combine(dir.Path, name);
        File.WriteAllText(path, spec.ToJsonString());
        return path;
    }

    [GeneratedRegex("\"([a-z_]+)\":")]
    private static partial Regex ExampleKey();
}

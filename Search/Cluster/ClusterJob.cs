using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Mnist.Search.Cluster;

/// <summary>
/// One job array submitted for a study, kept in the study's system attribute <see cref="AttributeKey"/>
/// (a JSON list, oldest first) so that <c>study status</c> on any machine can find the study's jobs.
/// </summary>
internal sealed record ClusterJob(
    [property: JsonPropertyName("engine")] string Engine,
    [property: JsonPropertyName("job_id")] long JobId,
    [property: JsonPropertyName("workers")] int Workers,
    [property: JsonPropertyName("gpus_per_worker")] int GpusPerWorker,
    [property: JsonPropertyName("partition")] string? Partition,
    [property: JsonPropertyName("log_dir")] string LogDirectory,
    [property: JsonPropertyName("submitted_at")] DateTime SubmittedAt)
{
    public const string AttributeKey = "mnist_search:cluster_jobs";
    public const string Slurm = "slurm";

    /// <summary>The jobs recorded in a study's system attributes (none when the attribute is absent).</summary>
    public static IReadOnlyList<ClusterJob> From(IReadOnlyDictionary<string, string> systemAttrs) =>
        systemAttrs.TryGetValue(AttributeKey, out var json) ? JsonSerializer.Deserialize<List<ClusterJob>>(json) ?? [] : [];

    /// <summary>The attribute's new value (storage serializes it): <paramref name="existing"/> followed by <paramref name="added"/>.</summary>
    public static JsonNode Append(IReadOnlyList<ClusterJob> existing, ClusterJob added) =>
        JsonSerializer.SerializeToNode(existing.Append(added).ToList())!;
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mnist.Protocol.Events;
using Mnist.Search.Config;
using Mnist.Search.Workers;

namespace Mnist.Search.Study;

/// <summary>
/// What the coordinator checks in a worker's events before believing them (issue 11): a NaN objective, an
/// accuracy of 5.0 or a negative epoch once became a COMPLETE trial, the best value, or a crash.
/// </summary>
internal sealed partial class TrialExecution
{
    /// <summary>How many fields of one epoch event are stored, and how long a text field may be.</summary>
    private const int MaxStoredFields = 32;
    private const int MaxStoredText = 200;

    /// <summary>Why an epoch event cannot be believed, after the believed epoch <paramref name="previous"/> (0: none yet), or null when it can.</summary>
    private string? EpochProblem(WorkerEvent.Epoch e, int previous)
    {
        if (e.Number < 1 || e.Number > settings.Epochs)
            return $"epoch {e.Number} is outside 1..{settings.Epochs}";
        // A repeated or earlier epoch was stored as a second record of that epoch while the intermediate value kept the
        // first (the trial's value could then be the second), and an epoch before the last one was taken as the last.
        if (e.Number == previous) return $"epoch {e.Number} reported twice";
        if (e.Number < previous) return $"epoch {e.Number} reported after epoch {previous} (epochs are reported in order)";
        // The objective is the one field an epoch must carry (docs/worker-protocol.md); a training loss is checked only
        // when the worker gives one: a custom worker without it failed every trial as "non-finite".
        if (!e.Body.TryGetProperty(settings.Metric, out _)) return $"epoch {e.Number} has no {settings.Metric}";
        var value = e.Field(settings.Metric);
        if (!double.IsFinite(value)) return $"non-finite {settings.Metric} at epoch {e.Number}";
        if (e.Body.TryGetProperty(EventFields.TrainLoss, out _) && !double.IsFinite(e.Field(EventFields.TrainLoss)))
            return $"non-finite {EventFields.TrainLoss} at epoch {e.Number}";
        if (MetricProblem(value) is { } bad) return $"epoch {e.Number}: {bad}";
        var other = settings.Metric == ObjectiveConfig.ValAccuracy ? ObjectiveConfig.ValLoss : ObjectiveConfig.ValAccuracy;
        var otherValue = e.Field(other);
        if (!double.IsNaN(otherValue) && RangeProblem(other, otherValue) is { } otherBad) return $"epoch {e.Number}: {otherBad}";
        return null;
    }

    private string? MetricProblem(double value) => RangeProblem(settings.Metric, value);

    private static string? RangeProblem(string metric, double value) => metric switch
    {
        ObjectiveConfig.ValAccuracy when value is < 0 or > 1 => $"{metric} {Show(value)} is outside [0, 1]",
        ObjectiveConfig.ValLoss when value < 0 || double.IsInfinity(value) => $"{metric} {Show(value)} is negative or infinite",
        _ => null,
    };

    /// <summary>The epoch as stored: numbers, booleans and short texts only, so a worker cannot fill the database.</summary>
    private static JsonObject EpochRecord(WorkerEvent.Epoch e)
    {
        var record = new JsonObject();
        foreach (var p in e.Body.EnumerateObject().Take(MaxStoredFields))
        {
            var name = WorkerText.Sanitize(p.Name, 64);
            if (record.ContainsKey(name)) continue;
            switch (p.Value.ValueKind)
            {
                case JsonValueKind.Number when p.Value.TryGetDouble(out var d) && double.IsFinite(d):
                    record[name] = JsonNode.Parse(p.Value.GetRawText());
                    break;
                case JsonValueKind.String:
                    record[name] = WorkerText.Sanitize(p.Value.GetString() ?? "", MaxStoredText);
                    break;
                case JsonValueKind.True or JsonValueKind.False:
                    record[name] = p.Value.GetBoolean();
                    break;
                case JsonValueKind.Null:
                    record[name] = null;
                    break;
            }
        }
        return record;
    }

    private static string Show(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}

using Mnist.Protocol.Events;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Config;

/// <summary>
/// The value a trial reports to the study: <see cref="Metric"/> is the worker's event field
/// (<c>val_accuracy</c> or <c>val_loss</c>) and <see cref="Direction"/> says which way is better.
/// </summary>
public sealed record ObjectiveConfig(string Metric, StudyDirection Direction)
{
    // The worker's own field names, not copies: the objective is read from the event by this key.
    public const string ValAccuracy = EventFields.ValAccuracy;
    public const string ValLoss = EventFields.ValLoss;
}

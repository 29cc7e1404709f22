namespace Mnist.Trials.Training;

/// <summary>
/// Which training-split rows to train on and which to hold out for validation. The hold-out is a
/// seeded permutation of the training split only — the test split is never touched — and uses
/// <see cref="Random"/> (managed, stable across platforms and libtorch versions) so a seed always
/// names the same validation set.
/// </summary>
internal sealed record ValidationSplit(long[] TrainIndices, long[] ValidationIndices)
{
    /// <summary>Holds out <paramref name="validation"/> rows of <paramref name="count"/>, then keeps the first <paramref name="trainSubset"/> of the rest (null = all).</summary>
    public static ValidationSplit Create(int count, int validation, int? trainSubset, int seed)
    {
        if (validation < 0 || validation >= count)
            throw new ArgumentOutOfRangeException(nameof(validation), $"validation {validation} must be below the {count} training images");
        var order = new long[count];
        for (int i = 0; i < count; i++) order[i] = i;
        new Random(seed).Shuffle(order);
        var val = order[..validation];
        var rest = order[validation..];
        if (trainSubset is int n && n < rest.Length) rest = rest[..n];
        // Sorted rows keep the gather from the big image tensor cache-friendly; the per-epoch shuffle re-randomises the order anyway.
        Array.Sort(val);
        Array.Sort(rest);
        return new ValidationSplit(rest, val);
    }
}

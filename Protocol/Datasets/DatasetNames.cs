namespace Mnist.Protocol.Datasets;

/// <summary>The datasets both sides know: <c>search.json</c>'s <c>dataset.name</c>, the spec's <c>dataset</c>, <c>data fetch</c>.</summary>
public static class DatasetNames
{
    public const string Mnist = "mnist";
    public const string FashionMnist = "fashion-mnist";

    /// <summary>Training images of every dataset here (both have 60,000; the test sets 10,000).</summary>
    public const int TrainImages = 60_000;

    public static IReadOnlyList<string> All { get; } = [Mnist, FashionMnist];
}

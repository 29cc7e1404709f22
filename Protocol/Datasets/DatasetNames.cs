namespace Mnist.Protocol.Datasets;

/// <summary>The datasets both sides know: <c>search.json</c>'s <c>dataset.name</c>, the spec's <c>dataset</c>, <c>data fetch</c>.</summary>
public static class DatasetNames
{
    public const string Mnist = "mnist";
    public const string FashionMnist = "fashion-mnist";

    /// <summary>Training images of every dataset here (both have 60,000; the test sets 10,000).</summary>
    public const int TrainImages = 60_000;

    /// <summary>
    /// The most bytes read from one dataset file, raw or decompressed, by the coordinator's check and the worker's reader:
    /// 1 GiB, twenty times MNIST's training images (47 MB). Without it a device (<c>/dev/zero</c>) or a gzip bomb was read
    /// until memory ran out.
    /// </summary>
    public const long MaxFileBytes = 1L << 30;

    public static IReadOnlyList<string> All { get; } = [Mnist, FashionMnist];
}

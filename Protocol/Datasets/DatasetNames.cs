namespace Mnist.Protocol.Datasets;

/// <summary>The datasets both sides know: <c>search.json</c>'s <c>dataset.name</c>, the spec's <c>dataset</c>, <c>data fetch</c>.</summary>
public static class DatasetNames
{
    public const string Mnist = "mnist";
    public const string FashionMnist = "fashion-mnist";

    public static IReadOnlyList<string> All { get; } = [Mnist, FashionMnist];
}

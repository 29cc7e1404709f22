namespace Mnist.Search.Tests.Support;

/// <summary>
/// What a test needs beyond the .NET SDK, as an xUnit trait (<c>[Trait(Needs.Name, Needs.PostgreSql)]</c>), so that a
/// machine without it can leave those tests out: <c>dotnet test Mnist.Search.sln --filter "Needs!=postgresql&amp;…"</c>
/// (README, Quick start). Which tests need what is derived from the sources and checked by
/// <see cref="Architecture.PrerequisiteTraitTests"/>: a test class that reaches one of these, directly or through a
/// helper, must carry its trait. `.ci/run` installs every one of them.
/// </summary>
public static class Needs
{
    public const string Name = "Needs";

    /// <summary>Debian's <c>postgresql</c> server binaries (a throwaway cluster), or <c>MNIST_SEARCH_PG_URL</c>.</summary>
    public const string PostgreSql = "postgresql";

    /// <summary>Debian's <c>slurm-wlm</c> and <c>munge</c>, run as root (a throwaway one-node cluster).</summary>
    public const string Slurm = "slurm";

    /// <summary>A command that runs Python with Optuna 4.1: <c>MNIST_SEARCH_OPTUNA4</c> (see OptunaRunner).</summary>
    public const string Optuna4 = "optuna4";

    /// <summary><c>/usr/bin/python3</c> with Debian's <c>python3-torch</c> and <c>python3-onnx</c>.</summary>
    public const string DebianPython = "python3-torch";

    /// <summary>Debian's <c>chromium</c> (the report rendered headless).</summary>
    public const string Chromium = "chromium";

    /// <summary>Debian's <c>dataset-fashion-mnist</c> (the second dataset's files).</summary>
    public const string FashionMnist = "fashion-mnist";
}

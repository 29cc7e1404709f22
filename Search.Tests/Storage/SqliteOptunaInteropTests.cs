namespace Mnist.Search.Tests.Storage;

/// <summary>Optuna 4 reads and writes our SQLite file.</summary>
public sealed class SqliteOptunaInteropTests : OptunaInteropContract, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mnist-optuna-").FullName;

    protected override Task<string> CreateDatabaseUrlAsync() => Task.FromResult($"sqlite:///{_dir}/study.db");

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}

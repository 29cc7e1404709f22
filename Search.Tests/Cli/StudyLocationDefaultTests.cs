using Mnist.Search.Cli;
using Mnist.Search.Config;
using Mnist.Search.Storage;
using Mnist.Search.Tests.Support;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// Where a study lives by default is one fact (<see cref="StudyPaths"/>): the configuration's default storage and the
/// place a command finds a study by name are the same database, and storage URLs are compared parsed (audit-code 3).
/// </summary>
public sealed class StudyLocationDefaultTests
{
    [Fact]
    public void AConfigurationWithoutStorageAndACommandGivenItsNameNameOneDatabase()
    {
        // Given a configuration without storage, and its study's database where it goes by default
        using var dir = new TempDirectory("location-default");
        File.WriteAllText(dir["search.json"], """
            {"study": "same", "dataset": {"name": "mnist"}, "objective": {"metric": "val_accuracy", "direction": "maximize"},
             "space": {"learning_rate": {"type": "float", "low": 0.0001, "high": 0.01, "log": true}}, "budget": {"trials": 2, "epochs": 1}}
            """);
        Directory.CreateDirectory(dir["studies/same"]);
        File.WriteAllText(dir["studies/same/study.db"], "");

        // When the configuration is read, and the study is looked up by name in that studies folder
        var config = StudyConfigLoader.Load(dir["search.json"]);
        var location = StudyLocation.For("same", storage: null, studiesDir: dir["studies"]);

        // Then both name studies/same/study.db, in the form the one helper builds
        Assert.Equal(StorageUrl.ForSqlite(dir["studies/same/study.db"]), config.Storage);
        Assert.True(StorageUrl.SameDatabase(config.Storage, location.StorageUrl, dir.Path));
    }

    [Theory]
    [InlineData("sqlite:/d/studies/x/study.db", "sqlite:////d/studies/x/study.db", true)]
    [InlineData("sqlite:///studies/x/study.db", "sqlite:/d/studies/x/../x/study.db", true)]
    [InlineData("sqlite:/d/studies/x/study.db", "sqlite:/d/studies/y/study.db", false)]
    [InlineData("postgresql://u:one@h/db", "postgres://u@h:5432/db", true)]
    [InlineData("sqlite:/d/x.db", "not a url", false)]
    public void StorageUrlsAreComparedParsed(string a, string b, bool same)
    {
        // Given two spellings; When compared against base folder /d; Then they are one database when they parse to one
        Assert.Equal(same, StorageUrl.SameDatabase(a, b, "/d"));
    }
}

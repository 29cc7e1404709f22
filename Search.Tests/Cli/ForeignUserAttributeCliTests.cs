using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// <c>retrain_test_accuracy</c> is a plain Optuna user attribute, which any Optuna client may set: <c>study status</c>
/// failed on anything but a bare finite number (exit 2 with a .NET parse or serializer message).
/// </summary>
public sealed class ForeignUserAttributeCliTests
{
    [Theory]
    [InlineData("\"0.99\"")]
    [InlineData("null")]
    [InlineData("NaN")]
    public async Task StatusIsShownWithAWarningWhenTheRetrainAccuracyIsNotANumber(string valueJson)
    {
        // Given a study whose retrain accuracy attribute an Optuna client set to something else
        using var dir = new TempDirectory("cli-user-attr");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, name: "ua");
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "start", config)).ExitCode);
        await using (var c = new SqliteConnection($"Data Source={dir["studies/ua/study.db"]};Pooling=False"))
        {
            await c.OpenAsync();
            var insert = c.CreateCommand();
            insert.CommandText = "INSERT INTO study_user_attributes(study_id, key, value_json) VALUES (1, 'retrain_test_accuracy', $v)";
            insert.Parameters.AddWithValue("$v", valueJson);
            await insert.ExecuteNonQueryAsync();
        }

        // When its status is asked for, as JSON and as a table
        var json = await SearchCli.RunAsync(dir.Path, "study", "status", "ua", "--format", "json");
        var table = await SearchCli.RunAsync(dir.Path, "study", "status", "ua");

        // Then both are shown, the accuracy left out, with one warning naming the attribute and its value
        Assert.True(json.ExitCode == 0, json.Stderr);
        Assert.True(table.ExitCode == 0, table.Stderr);
        Assert.Null(JsonNode.Parse(json.Stdout)!["retrain_test_accuracy"]);
        Assert.Equal(1, (int)JsonNode.Parse(json.Stdout)!["counts"]!["complete"]!);
        Assert.Equal($"warning: study 'ua': user attribute retrain_test_accuracy is {valueJson}, not a number; not shown", json.Stderr.Trim());
    }
}

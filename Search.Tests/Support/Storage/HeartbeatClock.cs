using System.Data.Common;
using System.Reflection;
using Mnist.Search.Storage;

namespace Mnist.Search.Tests.Support.Storage;

/// <summary>
/// Makes a trial's heartbeat old without waiting: one UPDATE of its <c>trial_heartbeats</c> row, on a connection of the
/// storage under test (its own session settings, e.g. PostgreSQL's pinned zone), by the database's own clock arithmetic.
/// The stale tests slept 1.2-1.5 s and swept with a 1 s grace, so a stall of a second between the beat and the sweep
/// failed them (code audit, finding 8); an hour back and a grace of minutes leave no such margin to lose.
/// </summary>
internal static class HeartbeatClock
{
    // The storage's own connection factory (protected: production code has no use for a bare connection).
    private static readonly MethodInfo OpenConnection = typeof(RelationalStudyStorage).GetMethod("OpenConnectionAsync",
        BindingFlags.Instance | BindingFlags.NonPublic, [typeof(CancellationToken)])
        ?? throw new MissingMethodException(nameof(RelationalStudyStorage), "OpenConnectionAsync(CancellationToken)");

    /// <summary>Moves the heartbeat of <paramref name="trialId"/> <paramref name="by"/> into the past; throws when it has none.</summary>
    public static async Task BackdateAsync(IStudyStorage storage, long trialId, TimeSpan by)
    {
        var sql = storage switch
        {
            // SQLite keeps the time as text (NowSql's format): shifted by a modifier and written back in that format.
            SqliteStudyStorage => "UPDATE trial_heartbeats SET heartbeat = strftime('%Y-%m-%d %H:%M:%f000', heartbeat, '-' || @Seconds || ' seconds') WHERE trial_id = @TrialId",
            PostgresStudyStorage => "UPDATE trial_heartbeats SET heartbeat = heartbeat - @Seconds * INTERVAL '1 second' WHERE trial_id = @TrialId",
            _ => throw new NotSupportedException($"no heartbeat back-dating for {storage.GetType().Name}"),
        };
        await using var connection = await (Task<DbConnection>)OpenConnection.Invoke(storage, [CancellationToken.None])!;
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        Add(command, "Seconds", by.TotalSeconds);
        Add(command, "TrialId", trialId);
        var rows = await command.ExecuteNonQueryAsync();
        if (rows != 1) throw new InvalidOperationException($"trial {trialId} has no heartbeat to back-date ({rows} rows)");
    }

    /// <summary>Back-dates each of <paramref name="trialIds"/> by <paramref name="by"/>.</summary>
    public static async Task BackdateAsync(IStudyStorage storage, TimeSpan by, params long[] trialIds)
    {
        foreach (var id in trialIds) await BackdateAsync(storage, id, by);
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
    }
}

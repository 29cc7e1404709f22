using System.Data.Common;
using Dapper;
using Mnist.Search.Space;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Storage;

internal abstract partial class RelationalStudyStorage
{
    private const string NextNumberSql = "SELECT COALESCE(MAX(number), -1) + 1 FROM trials WHERE study_id = @StudyId";

    private const string InsertTrialSql = """
        INSERT INTO trials (number, study_id, state, datetime_start, datetime_complete)
        VALUES (@Number, @StudyId, @State, @Start, NULL) RETURNING trial_id
        """;

    private const string InsertParamSql = """
        INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json)
        VALUES (@TrialId, @Name, @Value, @Json)
        """;

    private const string InsertTrialSystemAttrSql = """
        INSERT INTO trial_system_attributes (trial_id, "key", value_json) VALUES (@TrialId, @Key, @Json)
        ON CONFLICT (trial_id, "key") DO UPDATE SET value_json = excluded.value_json
        """;

    private const string InsertTrialUserAttrSql = """
        INSERT INTO trial_user_attributes (trial_id, "key", value_json) VALUES (@TrialId, @Key, @Json)
        ON CONFLICT (trial_id, "key") DO UPDATE SET value_json = excluded.value_json
        """;

    private string UpsertHeartbeatSql => $"""
        INSERT INTO trial_heartbeats (trial_id, heartbeat) VALUES (@TrialId, {NowSql})
        ON CONFLICT (trial_id) DO UPDATE SET heartbeat = excluded.heartbeat
        """;

    public async Task<TrialSnapshot> CreateTrialAsync(
        int studyId,
        TrialState state,
        IReadOnlyDictionary<string, (ParameterDistribution Distribution, double Value)>? parameters = null,
        IReadOnlyDictionary<string, object?>? systemAttrs = null,
        CancellationToken ct = default) =>
        (await CreateTrialCoreAsync(studyId, state, parameters, systemAttrs, null, ct))!;

    public Task<TrialSnapshot?> TryCreateTrialAsync(
        int studyId,
        TrialState state,
        IReadOnlyDictionary<string, (ParameterDistribution Distribution, double Value)>? parameters,
        IReadOnlyDictionary<string, object?>? systemAttrs,
        int maxNumber,
        CancellationToken ct = default) =>
        CreateTrialCoreAsync(studyId, state, parameters, systemAttrs, maxNumber, ct);

    private Task<TrialSnapshot?> CreateTrialCoreAsync(
        int studyId,
        TrialState state,
        IReadOnlyDictionary<string, (ParameterDistribution Distribution, double Value)>? parameters,
        IReadOnlyDictionary<string, object?>? systemAttrs,
        int? maxNumber,
        CancellationToken ct)
    {
        if (state is not (TrialState.RUNNING or TrialState.WAITING))
            throw new ArgumentException($"a new trial is RUNNING or WAITING, not {state}", nameof(state));
        RequireInside(parameters);
        var attrJson = AttributeJson.SerializeAll(systemAttrs);

        return WriteAsync((c, tx) => InsertTrialAsync(c, tx, studyId, state, parameters, attrJson, maxNumber, ct), ct);
    }

    private async Task<TrialSnapshot?> InsertTrialAsync(
        DbConnection c, DbTransaction tx, int studyId, TrialState state,
        IReadOnlyDictionary<string, (ParameterDistribution Distribution, double Value)>? parameters,
        IReadOnlyList<(string Key, string Json)> attrJson, int? maxNumber, CancellationToken ct)
    {
        // The study row lock (PostgreSQL) or the database write lock (SQLite) serializes numbering per study;
        // ix_trials_study_id_number rejects a duplicate should anything bypass it.
        await RequireStudyAsync(c, tx, studyId, ct);
        var number = await c.ExecuteScalarAsync<long>(Cmd(NextNumberSql, new { StudyId = studyId }, tx, ct));
        // The budget cap is checked under the same lock that hands out numbers, so racing processes cannot overshoot it.
        if (maxNumber is { } max && number > max) return null;
        object? start = state == TrialState.RUNNING ? DbTime(NowLocal()) : null;
        var trialId = await c.ExecuteScalarAsync<long>(Cmd(InsertTrialSql,
            new { Number = number, StudyId = studyId, State = DbEnum.Of(state), Start = start }, tx, ct));
        await InsertParamsAsync(c, tx, trialId, parameters, ct);
        foreach (var (key, json) in attrJson)
            await c.ExecuteAsync(Cmd(InsertTrialSystemAttrSql, new { TrialId = trialId, Key = key, Json = json }, tx, ct));
        if (state == TrialState.RUNNING)
            await c.ExecuteAsync(Cmd(UpsertHeartbeatSql, new { TrialId = trialId }, tx, ct));
        return await LoadTrialAsync(c, tx, trialId, ct);
    }

    private const string StudyOfTrialSql = "SELECT study_id FROM trials WHERE trial_id = @TrialId";

    // The failed trial's attributes and its retry are written in the failing transaction: a failed trial is read-only,
    // and a crash between two transactions used to leave it FAIL without its retry, so it counted against the budget.
    private async Task<FailedTrial> FailAndRequeueAsync(
        DbConnection c, DbTransaction tx, long trialId, IReadOnlyList<(string Key, string Json)> attrJson,
        Func<TrialSnapshot, WaitingTrial?>? retry, CancellationToken ct)
    {
        foreach (var (key, json) in attrJson)
            await c.ExecuteAsync(Cmd(InsertTrialSystemAttrSql, new { TrialId = trialId, Key = key, Json = json }, tx, ct));
        var failed = await LoadTrialAsync(c, tx, trialId, ct);
        if (retry?.Invoke(failed) is not { } next) return new FailedTrial(failed, null);
        RequireInside(next.Parameters);
        var studyId = await c.ExecuteScalarAsync<int>(Cmd(StudyOfTrialSql, new { TrialId = trialId }, tx, ct));
        var nextJson = AttributeJson.SerializeAll(next.SystemAttrs);
        return new FailedTrial(failed, await InsertTrialAsync(c, tx, studyId, TrialState.WAITING, next.Parameters, nextJson, null, ct));
    }

    public Task<FailedTrial?> FailTrialAsync(
        long trialId, IReadOnlyDictionary<string, object?>? systemAttrs, Func<TrialSnapshot, WaitingTrial?>? retry, CancellationToken ct = default)
    {
        var attrJson = AttributeJson.SerializeAll(systemAttrs);
        return WriteAsync(async (c, tx) =>
        {
            var current = await ReadTrialStateAsync(c, tx, trialId, ct);
            if (current.IsFinished()) return null;
            if (current == TrialState.WAITING)
                throw new InvalidOperationException($"trial_id {trialId} is WAITING; claim it (RUNNING) before finishing it");
            if (await c.ExecuteAsync(Cmd(FailTrialSql, new { TrialId = trialId, Complete = DbTime(NowLocal()) }, tx, ct)) != 1)
                return null;
            return (FailedTrial?)await FailAndRequeueAsync(c, tx, trialId, attrJson, retry, ct);
        }, ct);
    }

    public Task<TrialSnapshot> SetTrialParamsAsync(
        long trialId,
        IReadOnlyDictionary<string, (ParameterDistribution Distribution, double Value)> parameters,
        CancellationToken ct = default)
    {
        RequireInside(parameters);
        return WriteAsync(async (c, tx) =>
        {
            await RequireRunningAsync(c, tx, trialId, "set parameters of", ct);
            var have = (await c.QueryAsync<string>(Cmd("SELECT param_name FROM trial_params WHERE trial_id = @TrialId", new { TrialId = trialId }, tx, ct))).ToHashSet();
            if (parameters.Keys.FirstOrDefault(have.Contains) is { } again)
                throw new InvalidOperationException($"trial_id {trialId} already has parameter '{again}'");
            await InsertParamsAsync(c, tx, trialId, parameters, ct);
            return await LoadTrialAsync(c, tx, trialId, ct);
        }, ct);
    }

    private static void RequireInside(IReadOnlyDictionary<string, (ParameterDistribution Distribution, double Value)>? parameters)
    {
        foreach (var (name, (dist, value)) in parameters ?? new Dictionary<string, (ParameterDistribution, double)>())
            if (!dist.Contains(value))
                throw new ArgumentException($"parameter '{name}': internal value {value} lies outside {dist.ToOptunaJson().ToJsonString()}", nameof(parameters));
    }

    private async Task InsertParamsAsync(DbConnection c, DbTransaction tx, long trialId,
        IReadOnlyDictionary<string, (ParameterDistribution Distribution, double Value)>? parameters, CancellationToken ct)
    {
        foreach (var (name, (dist, value)) in parameters ?? new Dictionary<string, (ParameterDistribution, double)>())
            await c.ExecuteAsync(Cmd(InsertParamSql,
                new { TrialId = trialId, Name = name, Value = value, Json = dist.ToOptunaJson().ToJsonString() }, tx, ct));
    }

    private const string ClaimWaitingSql =
        "UPDATE trials SET state = 'RUNNING', datetime_start = @Start WHERE trial_id = @TrialId AND state = 'WAITING'";

    public Task<TrialSnapshot?> PopWaitingTrialAsync(
        int studyId, Func<IReadOnlyList<TrialSnapshot>, bool>? mayClaim = null,
        IReadOnlyDictionary<string, object?>? systemAttrs = null, CancellationToken ct = default)
    {
        var attrJson = AttributeJson.SerializeAll(systemAttrs);
        return WriteAsync(async (c, tx) =>
        {
            // Under the study lock (PostgreSQL) or the write lock (SQLite) claims are serialized, so two processes
            // that both saw one place left cannot both take it with two WAITING trials.
            if (mayClaim is not null) await RequireStudyAsync(c, tx, studyId, ct);
            var trialId = await c.QuerySingleOrDefaultAsync<long?>(Cmd(NextWaitingTrialSql, new { StudyId = studyId }, tx, ct));
            if (trialId is null) return null;
            // The study is read whole only when there is a trial to claim: every proposal asks, and a study of 5,000
            // trials held the write lock for a second's read on each, with nothing queued (audit-scale 3).
            if (mayClaim is not null && !mayClaim(await LoadStudyTrialsAsync(c, tx, studyId, ct))) return null;
            return await ClaimAsync(c, tx, trialId.Value, attrJson, ct);
        }, ct);
    }

    public Task<TrialSnapshot?> ClaimWaitingTrialAsync(long trialId, IReadOnlyDictionary<string, object?>? systemAttrs = null, CancellationToken ct = default)
    {
        var attrJson = AttributeJson.SerializeAll(systemAttrs);
        return WriteAsync(async (c, tx) =>
        {
            // The row lock (PostgreSQL) waits out a concurrent PopWaitingTrialAsync; the state guard then sees its claim.
            if (await ReadTrialStateAsync(c, tx, trialId, ct) != TrialState.WAITING) return null;
            return await ClaimAsync(c, tx, trialId, attrJson, ct);
        }, ct);
    }

    /// <summary>WAITING → RUNNING with its start time, the claimer's attributes and a heartbeat; null when another claimed it.</summary>
    private async Task<TrialSnapshot?> ClaimAsync(
        DbConnection c, DbTransaction tx, long trialId, IReadOnlyList<(string Key, string Json)> attrJson, CancellationToken ct)
    {
        if (await c.ExecuteAsync(Cmd(ClaimWaitingSql, new { TrialId = trialId, Start = DbTime(NowLocal()) }, tx, ct)) != 1)
            return null;
        // The claimer's attributes (host, coordinator pid) in the claiming transaction: the heartbeat sweep judges only
        // trials that carry them, so a claimed trial must never be RUNNING with a heartbeat but without them.
        foreach (var (key, json) in attrJson)
            await c.ExecuteAsync(Cmd(InsertTrialSystemAttrSql, new { TrialId = trialId, Key = key, Json = json }, tx, ct));
        await c.ExecuteAsync(Cmd(UpsertHeartbeatSql, new { TrialId = trialId }, tx, ct));
        return await LoadTrialAsync(c, tx, trialId, ct);
    }

    private const string UpsertIntermediateSql = """
        INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value, intermediate_value_type)
        VALUES (@TrialId, @Step, @Value, @Type)
        ON CONFLICT (trial_id, step) DO UPDATE
        SET intermediate_value = excluded.intermediate_value, intermediate_value_type = excluded.intermediate_value_type
        """;

    public Task ReportIntermediateValueAsync(long trialId, int step, double value, CancellationToken ct = default)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "step must be >= 0");
        // Optuna keeps non-finite values out of the FLOAT column and records their kind instead.
        var (stored, type) = double.IsNaN(value) ? ((double?)null, "NAN")
            : double.IsPositiveInfinity(value) ? (null, "INF_POS")
            : double.IsNegativeInfinity(value) ? (null, "INF_NEG")
            : (value, "FINITE");
        return WriteAsync(async (c, tx) =>
        {
            await RequireRunningAsync(c, tx, trialId, "report an intermediate value to", ct);
            return await c.ExecuteAsync(Cmd(UpsertIntermediateSql,
                new { TrialId = trialId, Step = step, Value = stored, Type = new DbEnum(type) }, tx, ct));
        }, ct);
    }

    private const string FinishTrialSql =
        "UPDATE trials SET state = @State, datetime_complete = @Complete WHERE trial_id = @TrialId AND state = 'RUNNING'";

    private const string InsertValueSql =
        "INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES (@TrialId, 0, @Value, @Type)";

    public Task<bool> FinishTrialAsync(long trialId, TrialState state, double? value, CancellationToken ct = default)
    {
        if (!state.IsFinished()) throw new ArgumentException($"a trial finishes as COMPLETE, PRUNED or FAIL, not {state}", nameof(state));
        if (state == TrialState.COMPLETE && value is null) throw new ArgumentException("a COMPLETE trial needs a value", nameof(value));
        if (state == TrialState.FAIL && value is not null) throw new ArgumentException("a FAIL trial has no value", nameof(value));
        if (value is { } v && double.IsNaN(v)) throw new ArgumentException("the objective value is NaN; finish the trial as FAIL", nameof(value));

        return WriteAsync(async (c, tx) =>
        {
            var current = await ReadTrialStateAsync(c, tx, trialId, ct);
            if (current.IsFinished()) return false;
            if (current == TrialState.WAITING)
                throw new InvalidOperationException($"trial_id {trialId} is WAITING; claim it (RUNNING) before finishing it");
            if (await c.ExecuteAsync(Cmd(FinishTrialSql,
                    new { TrialId = trialId, State = DbEnum.Of(state), Complete = DbTime(NowLocal()) }, tx, ct)) != 1)
                return false;
            if (value is { } x)
            {
                var (stored, type) = double.IsPositiveInfinity(x) ? ((double?)null, "INF_POS")
                    : double.IsNegativeInfinity(x) ? (null, "INF_NEG") : (x, "FINITE");
                await c.ExecuteAsync(Cmd(InsertValueSql, new { TrialId = trialId, Value = stored, Type = new DbEnum(type) }, tx, ct));
            }
            return true;
        }, ct);
    }

    public Task SetTrialUserAttrAsync(long trialId, string key, object? value, CancellationToken ct = default) =>
        SetTrialAttributeAsync(InsertTrialUserAttrSql, trialId, key, value, ct);

    public Task SetTrialSystemAttrAsync(long trialId, string key, object? value, CancellationToken ct = default) =>
        SetTrialAttributeAsync(InsertTrialSystemAttrSql, trialId, key, value, ct);

    private Task SetTrialAttributeAsync(string sql, long trialId, string key, object? value, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var jsonValue = AttributeJson.Serialize(key, value);
        return WriteAsync(async (c, tx) =>
        {
            await RequireRunningAsync(c, tx, trialId, $"set attribute '{key}' of", ct);
            return await c.ExecuteAsync(Cmd(sql, new { TrialId = trialId, Key = key, Json = jsonValue }, tx, ct));
        }, ct);
    }

    public Task RecordHeartbeatAsync(long trialId, CancellationToken ct = default) =>
        WriteAsync(async (c, tx) =>
        {
            await RequireRunningAsync(c, tx, trialId, "record a heartbeat of", ct);
            return await c.ExecuteAsync(Cmd(UpsertHeartbeatSql, new { TrialId = trialId }, tx, ct));
        }, ct);

    private string SelectStaleTrialsSql => $"""
        SELECT t.trial_id FROM trials t JOIN trial_heartbeats h ON h.trial_id = t.trial_id
        WHERE t.study_id = @StudyId AND t.state = 'RUNNING' AND {StaleHeartbeatSql}
          AND EXISTS (SELECT 1 FROM trial_system_attributes a WHERE a.trial_id = t.trial_id AND a."key" = '{StudyAttributes.Host}')
        ORDER BY t.number
        """;

    private const string FailTrialSql =
        "UPDATE trials SET state = 'FAIL', datetime_complete = @Complete WHERE trial_id = @TrialId AND state = 'RUNNING'";

    // Staleness is checked again in the failing statement, after the row lock: a heartbeat committed while this
    // transaction waited for that lock (PostgreSQL) means the trial lives.
    private string FailStaleTrialSql => $"""
        UPDATE trials SET state = 'FAIL', datetime_complete = @Complete
        WHERE trial_id = @TrialId AND state = 'RUNNING'
          AND EXISTS (SELECT 1 FROM trial_heartbeats h WHERE h.trial_id = trials.trial_id AND {StaleHeartbeatSql})
        """;

    public Task<IReadOnlyList<FailedTrial>> FailStaleTrialsAsync(
        int studyId, TimeSpan grace, IReadOnlyDictionary<string, object?>? systemAttrs = null,
        Func<TrialSnapshot, WaitingTrial?>? retry = null, CancellationToken ct = default)
    {
        if (grace < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(grace), grace, "grace must be >= 0");
        var attrJson = AttributeJson.SerializeAll(systemAttrs);
        return WriteAsync<IReadOnlyList<FailedTrial>>(async (c, tx) =>
        {
            // Heartbeats and the cutoff both use the database clock, so machines with skewed clocks agree.
            var stale = (await c.QueryAsync<long>(Cmd(SelectStaleTrialsSql,
                new { StudyId = studyId, GraceSeconds = grace.TotalSeconds }, tx, ct))).ToList();
            var failed = new List<FailedTrial>();
            foreach (var id in stale)
            {
                // PostgreSQL: a worker finishing concurrently holds the row; the state guard re-checks after the wait.
                await ReadTrialStateAsync(c, tx, id, ct);
                if (await c.ExecuteAsync(Cmd(FailStaleTrialSql, new { TrialId = id, Complete = DbTime(NowLocal()), GraceSeconds = grace.TotalSeconds }, tx, ct)) != 1) continue;
                failed.Add(await FailAndRequeueAsync(c, tx, id, attrJson, retry, ct));
            }
            return failed;
        }, ct);
    }

    private async Task<TrialState> ReadTrialStateAsync(DbConnection c, DbTransaction tx, long trialId, CancellationToken ct)
    {
        var state = await c.QuerySingleOrDefaultAsync<string?>(Cmd(LockTrialSql, new { TrialId = trialId }, tx, ct))
            ?? throw new RowNotFoundException($"no trial with id {trialId}");
        return ParseEnum<TrialState>(state);
    }

    private async Task RequireRunningAsync(DbConnection c, DbTransaction tx, long trialId, string what, CancellationToken ct)
    {
        var state = await ReadTrialStateAsync(c, tx, trialId, ct);
        if (state == TrialState.RUNNING) return;
        // The trial's number, as every message names trials: the row id (Optuna's trial_id, counted across all studies of
        // the database) was printed as "trial N" beside "Trial M" for the same trial, and named another trial of the study.
        var number = await c.ExecuteScalarAsync<long>(Cmd(TrialNumberSql, new { TrialId = trialId }, tx, ct));
        throw new TrialNotRunningException($"cannot {what} trial {number}: it is {state} (only RUNNING trials change)");
    }

    private const string TrialNumberSql = "SELECT number FROM trials WHERE trial_id = @TrialId";
}

using System.Data.Common;
using Dapper;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Storage;

internal abstract partial class RelationalStudyStorage
{
    private const string SelectStudiesSql = """
        SELECT s.study_id AS Id, s.study_name AS Name, CAST(d.direction AS TEXT) AS Direction,
               (SELECT COUNT(*) FROM study_directions n WHERE n.study_id = s.study_id) AS Objectives
        FROM studies s LEFT JOIN study_directions d ON d.study_id = s.study_id AND d.objective = 0
        """;

    // ON CONFLICT on the unique name index: a concurrent creator waits for ours and then does nothing.
    private const string InsertStudySql =
        "INSERT INTO studies (study_name) VALUES (@Name) ON CONFLICT (study_name) DO NOTHING RETURNING study_id";

    private const string InsertDirectionSql =
        "INSERT INTO study_directions (direction, study_id, objective) VALUES (@Direction, @StudyId, 0)";

    public Task<(StudyInfo Study, bool Created)> CreateStudyAsync(
        string name, StudyDirection direction, IReadOnlyDictionary<string, object?>? systemAttrs = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Length > 512) throw new ArgumentException($"study name is longer than 512 characters: '{name[..40]}...'", nameof(name));
        var attrJson = AttributeJson.SerializeAll(systemAttrs);
        return WriteAsync(async (c, tx) =>
        {
            var id = await c.QuerySingleOrDefaultAsync<long?>(Cmd(InsertStudySql, new { Name = name }, tx, ct));
            if (id is null)
                return (await FindStudyAsync(c, tx, name, ct) ?? throw new InvalidOperationException($"study '{name}' vanished while being created"), false);
            await c.ExecuteAsync(Cmd(InsertDirectionSql, new { Direction = DbEnum.Of(direction), StudyId = id }, tx, ct));
            foreach (var (key, json) in attrJson)
                await c.ExecuteAsync(Cmd(UpsertStudySystemAttrSql, new { StudyId = id, Key = key, Json = json }, tx, ct));
            return (new StudyInfo((int)id, name, direction), true);
        }, ct);
    }

    public Task<StudyInfo?> GetStudyAsync(string name, CancellationToken ct = default) =>
        ReadAsync((c, tx) => FindStudyAsync(c, tx, name, ct), ct);

    public Task<IReadOnlyList<StudyInfo>> GetAllStudiesAsync(CancellationToken ct = default) =>
        ReadAsync<IReadOnlyList<StudyInfo>>(async (c, tx) =>
            (await c.QueryAsync<StudyRow>(Cmd(SelectStudiesSql + " ORDER BY s.study_id", null, tx, ct))).Select(ToStudy).ToList(), ct);

    private const string UpsertStudyUserAttrSql = """
        INSERT INTO study_user_attributes (study_id, "key", value_json) VALUES (@StudyId, @Key, @Json)
        ON CONFLICT (study_id, "key") DO UPDATE SET value_json = excluded.value_json
        """;

    private const string UpsertStudySystemAttrSql = """
        INSERT INTO study_system_attributes (study_id, "key", value_json) VALUES (@StudyId, @Key, @Json)
        ON CONFLICT (study_id, "key") DO UPDATE SET value_json = excluded.value_json
        """;

    public Task SetStudyUserAttrAsync(int studyId, string key, object? value, CancellationToken ct = default) =>
        SetStudyAttributeAsync(UpsertStudyUserAttrSql, studyId, key, value, ct);

    public Task SetStudySystemAttrAsync(int studyId, string key, object? value, CancellationToken ct = default) =>
        SetStudyAttributeAsync(UpsertStudySystemAttrSql, studyId, key, value, ct);

    private Task SetStudyAttributeAsync(string sql, int studyId, string key, object? value, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var jsonValue = AttributeJson.Serialize(key, value);
        return WriteAsync(async (c, tx) =>
        {
            await RequireStudyAsync(c, tx, studyId, ct);
            return await c.ExecuteAsync(Cmd(sql, new { StudyId = studyId, Key = key, Json = jsonValue }, tx, ct));
        }, ct);
    }

    private const string SelectStudySystemAttrSql =
        "SELECT value_json FROM study_system_attributes WHERE study_id = @StudyId AND \"key\" = @Key";

    public Task<bool> CompareAndSetStudySystemAttrAsync(int studyId, string key, string? expectedJson, object? value, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var jsonValue = AttributeJson.Serialize(key, value);
        return WriteAsync(async (c, tx) =>
        {
            // The study row lock (PostgreSQL) or the write lock (SQLite, BEGIN IMMEDIATE) makes check-then-set atomic.
            await RequireStudyAsync(c, tx, studyId, ct);
            var current = await c.QuerySingleOrDefaultAsync<string?>(Cmd(SelectStudySystemAttrSql, new { StudyId = studyId, Key = key }, tx, ct));
            if (current != expectedJson) return false;
            await c.ExecuteAsync(Cmd(UpsertStudySystemAttrSql, new { StudyId = studyId, Key = key, Json = jsonValue }, tx, ct));
            return true;
        }, ct);
    }

    private const string SelectStudyUserAttrsSql =
        "SELECT study_id AS OwnerId, \"key\" AS Key, value_json AS ValueJson FROM study_user_attributes WHERE study_id = @StudyId";

    private const string SelectStudySystemAttrsSql =
        "SELECT study_id AS OwnerId, \"key\" AS Key, value_json AS ValueJson FROM study_system_attributes WHERE study_id = @StudyId";

    public Task<IReadOnlyDictionary<string, string>> GetStudyUserAttributesAsync(int studyId, CancellationToken ct = default) =>
        GetStudyAttributesAsync(SelectStudyUserAttrsSql, studyId, ct);

    public Task<IReadOnlyDictionary<string, string>> GetStudySystemAttributesAsync(int studyId, CancellationToken ct = default) =>
        GetStudyAttributesAsync(SelectStudySystemAttrsSql, studyId, ct);

    private Task<IReadOnlyDictionary<string, string>> GetStudyAttributesAsync(string sql, int studyId, CancellationToken ct) =>
        ReadAsync<IReadOnlyDictionary<string, string>>(async (c, tx) =>
            (await c.QueryAsync<AttributeRow>(Cmd(sql, new { StudyId = studyId }, tx, ct)))
                .ToDictionary(r => r.Key, r => r.ValueJson).AsReadOnly(), ct);

    // Children before parents: Optuna's foreign keys have no ON DELETE CASCADE (its ORM deletes them one by one).
    private static readonly string[] DeleteStudySql =
    [
        .. new[] { "trial_params", "trial_values", "trial_intermediate_values", "trial_user_attributes", "trial_system_attributes", "trial_heartbeats" }
            .Select(table => $"DELETE FROM {table} WHERE trial_id IN (SELECT trial_id FROM trials WHERE study_id = @StudyId)"),
        .. new[] { "trials", "study_directions", "study_user_attributes", "study_system_attributes", "studies" }
            .Select(table => $"DELETE FROM {table} WHERE study_id = @StudyId"),
    ];

    public Task<int?> DeleteStudyAsync(int studyId, bool evenIfRunning = false, CancellationToken ct = default) =>
        WriteAsync(async (c, tx) =>
        {
            // The study row's lock (PostgreSQL) keeps a trial from being created meanwhile, and its trials' rows locks keep
            // them from being claimed or written to (a value, an attribute, a heartbeat: their foreign keys wait on it), so
            // the RUNNING count holds until the delete commits; SQLite's write lock covers all of it.
            await RequireStudyAsync(c, tx, studyId, ct);
            await c.ExecuteAsync(Cmd(LockStudyTrialsSql, new { StudyId = studyId }, tx, ct));
            var trials = await c.QuerySingleAsync<long>(Cmd("SELECT COUNT(*) FROM trials WHERE study_id = @StudyId", new { StudyId = studyId }, tx, ct));
            var running = await c.QuerySingleAsync<long>(Cmd("SELECT COUNT(*) FROM trials WHERE study_id = @StudyId AND state = 'RUNNING'", new { StudyId = studyId }, tx, ct));
            if (running > 0 && !evenIfRunning) return (int?)null;
            foreach (var sql in DeleteStudySql)
                await c.ExecuteAsync(Cmd(sql, new { StudyId = studyId }, tx, ct));
            return (int)trials;
        }, ct);

    private static async Task<StudyInfo?> FindStudyAsync(DbConnection c, DbTransaction tx, string name, CancellationToken ct)
    {
        var row = await c.QuerySingleOrDefaultAsync<StudyRow>(Cmd(SelectStudiesSql + " WHERE s.study_name = @Name", new { Name = name }, tx, ct));
        return row is null ? null : ToStudy(row);
    }

    private async Task RequireStudyAsync(DbConnection c, DbTransaction tx, int studyId, CancellationToken ct)
    {
        if (await c.QuerySingleOrDefaultAsync<long?>(Cmd(LockStudySql, new { StudyId = studyId }, tx, ct)) is null)
            throw new RowNotFoundException($"no study with id {studyId}");
    }

    private static StudyInfo ToStudy(StudyRow r) =>
        new((int)r.Id, r.Name, r.Direction is null ? StudyDirection.NOT_SET : ParseEnum<StudyDirection>(r.Direction), (int)Math.Max(1, r.Objectives));
}

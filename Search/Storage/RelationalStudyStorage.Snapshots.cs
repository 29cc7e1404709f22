using System.Data.Common;
using System.Text.Json;
using Dapper;
using Mnist.Search.Space;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Storage;

internal abstract partial class RelationalStudyStorage
{
    // One batch of six SELECTs, each restricted by the same condition on trials t, read in one snapshot.
    private static string TrialBatchSql(string filter) => $"""
        SELECT t.trial_id AS TrialId, t.number AS Number, CAST(t.state AS TEXT) AS State,
               CAST(t.datetime_start AS TEXT) AS DatetimeStart, CAST(t.datetime_complete AS TEXT) AS DatetimeComplete
        FROM trials t WHERE {filter} ORDER BY t.number;
        SELECT v.trial_id AS TrialId, v.value AS Value, CAST(v.value_type AS TEXT) AS ValueType
        FROM trial_values v JOIN trials t ON t.trial_id = v.trial_id WHERE {filter} AND v.objective = 0;
        SELECT i.trial_id AS TrialId, i.step AS Step, i.intermediate_value AS Value, CAST(i.intermediate_value_type AS TEXT) AS ValueType
        FROM trial_intermediate_values i JOIN trials t ON t.trial_id = i.trial_id WHERE {filter} ORDER BY i.step;
        SELECT p.trial_id AS TrialId, p.param_name AS Name, p.param_value AS Value, p.distribution_json AS DistributionJson
        FROM trial_params p JOIN trials t ON t.trial_id = p.trial_id WHERE {filter} ORDER BY p.param_id;
        SELECT a.trial_id AS OwnerId, a."key" AS Key, a.value_json AS ValueJson
        FROM trial_user_attributes a JOIN trials t ON t.trial_id = a.trial_id WHERE {filter};
        SELECT a.trial_id AS OwnerId, a."key" AS Key, a.value_json AS ValueJson
        FROM trial_system_attributes a JOIN trials t ON t.trial_id = a.trial_id WHERE {filter};
        """;

    private static readonly string TrialByIdSql = TrialBatchSql("t.trial_id = @TrialId");
    private static readonly string TrialsOfStudySql = TrialBatchSql("t.study_id = @StudyId");
    private string? _trialsOfStudyInStatesSql;

    private string TrialsOfStudyInStatesSql => _trialsOfStudyInStatesSql ??= TrialBatchSql($"t.study_id = @StudyId AND {StateInListSql}");

    public Task<TrialSnapshot> GetTrialAsync(long trialId, CancellationToken ct = default) =>
        ReadAsync((c, tx) => LoadTrialAsync(c, tx, trialId, ct), ct);

    public Task<IReadOnlyList<TrialSnapshot>> GetAllTrialsAsync(int studyId, IReadOnlyCollection<TrialState>? states = null, CancellationToken ct = default)
    {
        if (states is { Count: 0 }) return Task.FromResult<IReadOnlyList<TrialSnapshot>>([]);
        return ReadAsync(async (c, tx) => WithTerms(await TermsAsync(c, tx, studyId, ct), states is null
            ? await LoadStudyTrialsAsync(c, tx, studyId, ct)
            : await LoadTrialsAsync(c, tx, TrialsOfStudyInStatesSql,
                new { StudyId = studyId, States = states.Distinct().Select(s => s.ToString()).ToArray() }, ct)), ct);
    }

    // The study's terms as last read, with the attribute texts they were read from: parsed again only when those change
    // (a takeover, a resume with another configuration), not on each of the coordinator's many reads.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, (string? Space, string? Settings, StudyTerms? Terms)> _terms = new();

    private async Task<StudyTerms?> TermsAsync(DbConnection c, DbTransaction tx, int studyId, CancellationToken ct)
    {
        var attrs = (await c.QueryAsync<AttributeRow>(Cmd(SelectStudyTermsSql, new { StudyId = studyId }, tx, ct))).ToDictionary(r => r.Key, r => r.ValueJson);
        var (space, settings) = (attrs.GetValueOrDefault(StudyAttributes.SearchSpace), attrs.GetValueOrDefault(StudyAttributes.Settings));
        if (_terms.TryGetValue(studyId, out var kept) && kept.Space == space && kept.Settings == settings) return kept.Terms;
        var terms = StudyTerms.From(attrs);
        _terms[studyId] = (space, settings, terms);
        return terms;
    }

    private static readonly string SelectStudyTermsSql = SelectStudySystemAttrsSql
        + $" AND \"key\" IN ('{StudyAttributes.SearchSpace}', '{StudyAttributes.Settings}')";

    // Every snapshot carries its study's terms, so each view that ranks trials (BestTrial) judges them by the same rule.
    // A finished trial's copy is kept in place of the one read, so the next read does not copy it again.
    private IReadOnlyList<TrialSnapshot> WithTerms(StudyTerms? terms, IReadOnlyList<TrialSnapshot> trials) =>
        trials.Select(t =>
        {
            if (ReferenceEquals(t.Terms, terms)) return t;
            var judged = t with { Terms = terms, NotOfStudy = terms?.Excludes(t) };
            if (_finished.TryGetValue(t.Id, out var kept) && ReferenceEquals(kept, t)) _finished[t.Id] = judged;
            return judged;
        }).ToList();

    // A finished trial never changes (the contract: writes to it are refused, here and by Optuna), so this process keeps
    // the snapshots of those it has read and reads again only the rest. The coordinator reads the whole study several
    // times per trial and the pruner once per epoch: at 5,000 trials that took 4.8 s per trial, most of it turning rows
    // into snapshots (audit-scale 2). A kept snapshot is used only while its trial's id, number, state and start time
    // are those the database holds (a study deleted and made again may give ids out again).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, TrialSnapshot> _finished = new();

    private const string TrialKeysSql =
        "SELECT t.trial_id AS TrialId, t.number AS Number, CAST(t.state AS TEXT) AS State, CAST(t.datetime_start AS TEXT) AS DatetimeStart "
        + "FROM trials t WHERE t.study_id = @StudyId ORDER BY t.number";

    /// <summary>How many trials are read by id at most; more, and the whole study is read (one list parameter each).</summary>
    private const int MaxTrialsById = 500;

    private string? _trialsByIdsSql;

    private string TrialsByIdsSql => _trialsByIdsSql ??= TrialBatchSql(TrialIdInListSql);

    private async Task<IReadOnlyList<TrialSnapshot>> LoadStudyTrialsAsync(DbConnection c, DbTransaction tx, int studyId, CancellationToken ct)
    {
        var keys = (await c.QueryAsync<TrialRow>(Cmd(TrialKeysSql, new { StudyId = studyId }, tx, ct))).ToList();
        var kept = new Dictionary<long, TrialSnapshot>();
        foreach (var key in keys)
            if (_finished.TryGetValue(key.TrialId, out var snapshot) && snapshot.Number == key.Number
                && snapshot.State.ToString() == key.State && snapshot.DatetimeStart == ParseTime(key.DatetimeStart))
                kept[key.TrialId] = snapshot;
        if (kept.Count < keys.Count)
        {
            var missing = keys.Where(k => !kept.ContainsKey(k.TrialId)).Select(k => k.TrialId).ToArray();
            var loaded = missing.Length <= MaxTrialsById
                ? await LoadTrialsAsync(c, tx, TrialsByIdsSql, new { Ids = missing }, ct)
                : await LoadTrialsAsync(c, tx, TrialsOfStudySql, new { StudyId = studyId }, ct);
            foreach (var trial in loaded)
            {
                if (trial.State.IsFinished()) _finished[trial.Id] = trial;
                kept.TryAdd(trial.Id, trial);
            }
        }
        // In the keys' order, by number. Both reads see the same trials: one snapshot (a read), or a write under the
        // study's lock (a claim), so every key was read.
        return keys.Select(k => kept.TryGetValue(k.TrialId, out var t) ? t
            : throw new StorageException($"trial {k.Number} (id {k.TrialId}) of study {studyId} was listed but could not be read")).ToList();
    }

    private string HeartbeatAgesSql => $"""
        SELECT t.trial_id, {HeartbeatAgeSql} FROM trials t JOIN trial_heartbeats h ON h.trial_id = t.trial_id
        WHERE t.study_id = @StudyId AND t.state = 'RUNNING'
        """;

    public Task<IReadOnlyDictionary<long, TimeSpan>> GetHeartbeatAgesAsync(int studyId, CancellationToken ct = default) =>
        ReadAsync<IReadOnlyDictionary<long, TimeSpan>>(async (c, tx) =>
            (await c.QueryAsync<(long Id, double Seconds)>(Cmd(HeartbeatAgesSql, new { StudyId = studyId }, tx, ct)))
                // A clock stepped back on the database server gives a negative age: the heartbeat is as fresh as can be.
                .ToDictionary(r => r.Id, r => TimeSpan.FromSeconds(Math.Max(0, r.Seconds))), ct);

    private static async Task<TrialSnapshot> LoadTrialAsync(DbConnection c, DbTransaction tx, long trialId, CancellationToken ct) =>
        (await LoadTrialsAsync(c, tx, TrialByIdSql, new { TrialId = trialId }, ct)).SingleOrDefault()
        ?? throw new RowNotFoundException($"no trial with id {trialId}");

    private static async Task<IReadOnlyList<TrialSnapshot>> LoadTrialsAsync(DbConnection c, DbTransaction tx, string sql, object args, CancellationToken ct)
    {
        using var grid = await c.QueryMultipleAsync(Cmd(sql, args, tx, ct));
        var trials = (await grid.ReadAsync<TrialRow>()).ToList();
        var values = (await grid.ReadAsync<TrialValueRow>()).ToDictionary(v => v.TrialId);
        var intermediates = (await grid.ReadAsync<TrialIntermediateRow>()).ToLookup(i => i.TrialId);
        var parameters = (await grid.ReadAsync<TrialParamRow>()).ToLookup(p => p.TrialId);
        var userAttrs = (await grid.ReadAsync<AttributeRow>()).ToLookup(a => a.OwnerId);
        var systemAttrs = (await grid.ReadAsync<AttributeRow>()).ToLookup(a => a.OwnerId);

        var distributions = new Dictionary<string, ParameterDistribution>(); // parse each distinct JSON once
        return trials.Select(t => new TrialSnapshot(
            t.TrialId,
            (int)(t.Number ?? throw new InvalidOperationException($"trial {t.TrialId} has no number")),
            ParseEnum<TrialState>(t.State),
            values.TryGetValue(t.TrialId, out var v) ? Decode(v.Value, v.ValueType) : null,
            parameters[t.TrialId].ToDictionary(p => p.Name, p => p.Value).AsReadOnly(),
            parameters[t.TrialId].ToDictionary(p => p.Name, p => Distribution(distributions, p, t.Number)).AsReadOnly(),
            intermediates[t.TrialId].ToDictionary(i => Step(i, t.Number), i => Decode(i.Value, i.ValueType)).AsReadOnly(),
            ParseTime(t.DatetimeStart),
            ParseTime(t.DatetimeComplete),
            userAttrs[t.TrialId].ToDictionary(a => a.Key, a => a.ValueJson).AsReadOnly(),
            systemAttrs[t.TrialId].ToDictionary(a => a.Key, a => a.ValueJson).AsReadOnly())).ToList();
    }

    private static ParameterDistribution Distribution(Dictionary<string, ParameterDistribution> cache, TrialParamRow p, long? trialNumber)
    {
        if (cache.TryGetValue(p.DistributionJson, out var d)) return d;
        try
        {
            return cache[p.DistributionJson] = ParameterDistribution.FromOptunaJson(p.DistributionJson);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or InvalidCastException or ArgumentException or NullReferenceException or OverflowException)
        {
            // Another tool's row (or a hand edit) this reader does not know: one line naming where it is, so it can be
            // looked at with `trials sql`, rather than the parser's stack trace for every command that lists trials.
            throw new StorageException(
                $"trial {trialNumber} (id {p.TrialId}), parameter '{p.Name}': distribution_json {p.DistributionJson} cannot be read ({e.Message.ReplaceLineEndings(" ")})", e);
        }
    }

    // Optuna's step is a 64-bit integer; this tool's epochs are ints. A larger one was wrapped silently (2^40 read as 0),
    // and two that wrapped alike made every command on the storage fail with .NET's "same key" message (study list too):
    // one line naming the trial, as for a distribution it cannot read.
    private static int Step(TrialIntermediateRow i, long? trialNumber) =>
        i.Step is >= int.MinValue and <= int.MaxValue ? (int)i.Step
            : throw new StorageException($"trial {trialNumber} (id {i.TrialId}): an intermediate value at step {i.Step}, beyond the steps this tool reads " +
                $"({int.MinValue} to {int.MaxValue})");

    private static double Decode(double? value, string type) => type switch
    {
        "FINITE" => value ?? throw new StorageException("a FINITE value is NULL in storage"),
        "INF_POS" => double.PositiveInfinity,
        "INF_NEG" => double.NegativeInfinity,
        "NAN" => double.NaN,
        _ => throw new StorageException($"unknown value type '{type}' in storage"),
    };
}

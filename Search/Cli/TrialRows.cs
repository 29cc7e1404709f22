using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mnist.Search.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Cli;

/// <summary>Turns trial snapshots into the rows the query commands print.</summary>
internal static class TrialRows
{
    /// <summary>
    /// The keys of a trial in <c>trials list</c> and <c>trials show</c> (README documents them): one spelling each. The
    /// values of several come from study attributes of the same spelling, and the key was a literal beside that constant.
    /// </summary>
    public static class Keys
    {
        public const string Number = "number";
        public const string State = "state";
        public const string Value = "value";

        // "epochs_done", as study status names a running trial's count: "epochs" is the list of epoch records in trials show
        // and study best, so one name held a number in one command's JSON and a list in another's.
        public const string EpochsDone = "epochs_done";
        public const string DurationSeconds = "duration_s";
        public const string Device = "device";
        public const string Params = "params";

        /// <summary>
        /// Why a trial failed (Optuna's fail_reason; null otherwise): the last column of a list. Only trials show gave it,
        /// while the study's "all trials failed" line and README sent users to `trials list --state FAIL` for the reasons.
        /// </summary>
        public const string Error = "error";

        public const string IntermediateValues = "intermediate_values";

        /// <summary>The trial's epoch records: the worker's <c>epoch</c> events as stored.</summary>
        public const string Epochs = "epochs";

        public const string Started = "started";
        public const string Completed = "completed";
        public const string TrialDirectory = "trial_dir";
        public const string StdoutLog = "stdout_log";
        public const string StderrLog = "stderr_log";
        public const string Checkpoint = "checkpoint";
        public const string RetryOf = "retry_of";
        public const string RepeatOf = "repeat_of";
    }

    /// <summary>The columns every row of a trial list has, before the parameters'.</summary>
    public static readonly IReadOnlyList<string> TrialColumns = [Keys.Number, Keys.State, Keys.Value, Keys.EpochsDone, Keys.DurationSeconds, Keys.Device];

    /// <summary>The keys of a trial in a JSON list: the trial columns, its parameters as one object, then its error.</summary>
    public static IReadOnlyList<string> JsonKeys { get; } = [.. TrialColumns, Keys.Params, Keys.Error];

    /// <summary>
    /// A parameter's column: its name, or <c>params_NAME</c> (Optuna's <c>trials_dataframe</c> prefix) when a trial column
    /// or another prefixed name has it. A custom worker's parameter called "state" replaced the state in tables and
    /// CSV, and made --format json fail on a duplicate key.
    /// </summary>
    public static string ColumnOf(string parameter) =>
        TrialColumns.Contains(parameter) || parameter == Keys.Error || parameter.StartsWith("params_", StringComparison.Ordinal) ? "params_" + parameter : parameter;

    /// <summary>Every column of a list of trials with these parameters.</summary>
    public static IReadOnlyList<string> Columns(IEnumerable<string> paramNames) => [.. TrialColumns, .. paramNames.Select(ColumnOf), Keys.Error];

    public static IReadOnlyDictionary<string, object?> Summary(TrialSnapshot t, IEnumerable<string> paramNames)
    {
        var row = new Dictionary<string, object?>
        {
            [Keys.Number] = t.Number,
            [Keys.State] = t.State.ToString(),
            [Keys.Value] = t.Value,
            [Keys.EpochsDone] = t.IntermediateValues.Count,
            [Keys.DurationSeconds] = t.Duration is { } d ? Math.Round(d.TotalSeconds, 1) : null,
            [Keys.Device] = Attr(t.SystemAttrs, StudyAttributes.Device),
        };
        // A queued trial from `study enqueue` has no parameters until it runs: show the values it will run with.
        var queued = QueuedValues(t);
        foreach (var name in paramNames)
            row[ColumnOf(name)] = t.Params.ContainsKey(name) ? t.ExternalParam(name) : queued.GetValueOrDefault(name);
        row[Keys.Error] = Attr(t.SystemAttrs, StudyAttributes.FailReason);
        return row;
    }

    /// <summary>
    /// A trial of a JSON list: the summary's columns, and its parameters as <c>params</c>, the object trials show and
    /// study best give (Optuna's CLI does the same). They were keys beside the trial's own, as the table's columns, so a
    /// script read a parameter as <c>t.params.lr</c> from one command and <c>t.lr</c> (or <c>t.params_lr</c> where a name
    /// clashed) from the other. Only the parameters the trial has (or, queued, will run with), as trials show.
    /// </summary>
    public static IReadOnlyDictionary<string, object?> JsonSummary(TrialSnapshot t, IEnumerable<string> paramNames)
    {
        var flat = Summary(t, paramNames);
        var queued = QueuedValues(t);
        var parameters = new JsonObject();
        foreach (var name in paramNames.Where(n => t.Params.ContainsKey(n) || queued.ContainsKey(n)))
            parameters[name] = ParameterValue(flat[ColumnOf(name)]);
        return TrialColumns.Select(c => KeyValuePair.Create(c, flat[c])).Append(KeyValuePair.Create<string, object?>(Keys.Params, parameters))
            .Append(KeyValuePair.Create(Keys.Error, flat[Keys.Error])).ToDictionary();
    }

    /// <summary>
    /// The parameters among <paramref name="searched"/> that a trial which has its parameters holds no value for: an
    /// Optuna client's trial suggests only those its code asks for (define-by-run), so one may have some of the study's
    /// parameters. Tables show them as <see cref="OutputFormat.Absent"/>; study start's summary ended in a stack trace on
    /// one (KeyNotFoundException). None for a trial still waiting for its parameters (it gets them when it runs).
    /// </summary>
    public static IReadOnlyList<string> AbsentParameters(TrialSnapshot t, IEnumerable<string> searched) =>
        t.State == TrialState.WAITING || t.State == TrialState.RUNNING && t.Params.Count == 0 ? [] : [.. searched.Where(n => !t.Params.ContainsKey(n))];

    /// <summary>
    /// A row of a trial table: <see cref="Summary"/>, with <see cref="OutputFormat.Absent"/> for a parameter the trial has
    /// no value for (an empty cell read as an empty string value, or as a value not yet known).
    /// </summary>
    public static IReadOnlyDictionary<string, object?> TableSummary(TrialSnapshot t, IReadOnlyCollection<string> paramNames)
    {
        var row = new Dictionary<string, object?>(Summary(t, paramNames));
        foreach (var name in paramNames)
            if (row[ColumnOf(name)] is null) row[ColumnOf(name)] = OutputFormat.Absent;
        // A reason may be a traceback's tail of 2,000 characters: the table gives its start, trials show all of it.
        if (row[Keys.Error] is string error && error.Length > TableErrorChars) row[Keys.Error] = error[..(TableErrorChars - 1)] + "…";
        return row;
    }

    private const int TableErrorChars = 100;

    /// <summary>
    /// A table's columns for these rows: <see cref="Columns"/>, less the error column when none of them failed (a list
    /// of good trials stays as narrow as it was; JSON and CSV keep every column, which scripts read by name).
    /// </summary>
    public static IReadOnlyList<string> TableColumns(IEnumerable<string> paramNames, IEnumerable<IReadOnlyDictionary<string, object?>> rows) =>
        rows.Any(r => r[Keys.Error] is not null) ? Columns(paramNames) : [.. Columns(paramNames).Where(c => c != Keys.Error)];

    /// <summary>The columns of a trial list: every parameter a trial has or, queued, will run with.</summary>
    public static IReadOnlyList<string> ParameterNames(IEnumerable<TrialSnapshot> trials) =>
        [.. trials.SelectMany(t => t.Params.Keys.Concat(QueuedValues(t).Keys)).Distinct()];

    /// <summary>
    /// The values a trial waiting to run (or claimed, before its parameters are written) was enqueued with; none once it
    /// has its parameters or has ended. A finished trial showed what it had been enqueued with as its parameters: a value
    /// the study ignored (a hyperparameter it does not search) as a column, and a FAIL refused for an out-of-range value
    /// as having run with it.
    /// </summary>
    public static IReadOnlyDictionary<string, object?> QueuedValues(TrialSnapshot t) =>
        t.State == TrialState.WAITING || t.State == TrialState.RUNNING && t.Params.Count == 0 ? Queued(t) : new Dictionary<string, object?>();

    private static JsonNode? ParseOrText(string json)
    {
        try { return JsonNode.Parse(json); }
        catch (JsonException) { return JsonValue.Create(json); }
    }

    private static IReadOnlyDictionary<string, object?> Queued(TrialSnapshot t)
    {
        try { return EnqueuedConfiguration.Read(t); }
        catch (Exception e) when (e is ArgumentException or JsonException) { return new Dictionary<string, object?>(); }
    }

    public static JsonObject Detail(TrialSnapshot t)
    {
        var parameters = new JsonObject();
        foreach (var name in t.Params.Keys) parameters[name] = ParameterValue(t.ExternalParam(name));
        // A queued trial's values it will run with, as trials list gives them: its params were {} here and filled there.
        foreach (var (name, value) in QueuedValues(t)) parameters[name] = ParameterValue(value);
        // Written by this tool, an array of objects; by another Optuna client, anything (set_user_attr("epochs", 10)), or
        // text that is no JSON: shown as it is (a stack trace before).
        // None yet (waiting, or ended before its first epoch): an empty list, the shape every other trial gives.
        JsonNode? epochs = t.UserAttrs.TryGetValue(StudyAttributes.Epochs, out var e) ? ParseOrText(e) : new JsonArray();
        return new JsonObject
        {
            [Keys.Number] = t.Number,
            [Keys.State] = t.State.ToString(),
            [Keys.Value] = Number(t.Value),
            [Keys.Params] = parameters,
            [Keys.IntermediateValues] = new JsonObject(t.IntermediateValues.OrderBy(kv => kv.Key)
                .Select(kv => KeyValuePair.Create(kv.Key.ToString(CultureInfo.InvariantCulture), Number(kv.Value)))),
            [Keys.Epochs] = epochs,
            // The count trials list and study status give under this name: a script reading one trial had to count
            // "epochs" (which another client's trial may not even hold as a list).
            [Keys.EpochsDone] = t.IntermediateValues.Count,
            [Keys.Device] = Attr(t.SystemAttrs, StudyAttributes.Device),
            [Keys.Started] = Utc(t.DatetimeStart),
            [Keys.Completed] = Utc(t.DatetimeComplete),
            [Keys.DurationSeconds] = t.Duration is { } d ? Math.Round(d.TotalSeconds, 1) : null,
            [Keys.TrialDirectory] = Attr(t.SystemAttrs, StudyAttributes.TrialDirectory),
            [Keys.StdoutLog] = Attr(t.SystemAttrs, StudyAttributes.StdoutLog),
            [Keys.StderrLog] = Attr(t.SystemAttrs, StudyAttributes.StderrLog),
            [Keys.Checkpoint] = Attr(t.UserAttrs, StudyAttributes.Checkpoint),
            [Keys.Error] = Attr(t.SystemAttrs, StudyAttributes.FailReason),
            // Trial numbers, as numbers (as every other trial number in this output; they were strings).
            [Keys.RetryOf] = t.SystemAttrs.TryGetValue(StudyAttributes.RetryOf, out var retry) ? ParseOrText(retry) : null,
            [Keys.RepeatOf] = t.SystemAttrs.TryGetValue(StudyAttributes.RepeatOf, out var repeat) ? ParseOrText(repeat) : null,
            [StudyAttributes.FixedParams] = t.SystemAttrs.TryGetValue(StudyAttributes.FixedParams, out var f) ? ParseOrText(f) : null,
        };
    }

    /// <summary>
    /// Points a <see cref="Detail"/>'s file paths at the trial's folder under <paramref name="studyFolder"/> (this study's
    /// folder on this machine) when that folder has it: the stored paths name where the study ran, so a study folder
    /// moved or copied (an archive, another checkout, --studies-dir) showed paths that no longer exist, or that since hold
    /// another study's files. Paths of a trial run elsewhere (another machine of a shared study) stay as stored.
    /// </summary>
    public static void Relocate(JsonObject detail, string? studyFolder)
    {
        if (studyFolder is null || (string?)detail[Keys.TrialDirectory] is not { Length: > 0 } recorded) return;
        var local = StudyFolder.TrialFolderIn(studyFolder, recorded);
        if (local == recorded || !Directory.Exists(local)) return;
        detail[Keys.TrialDirectory] = local;
        foreach (var key in new[] { Keys.StdoutLog, Keys.StderrLog, Keys.Checkpoint })
            if ((string?)detail[key] is { } path && Path.GetRelativePath(recorded, path) is var rest && !rest.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(rest))
                detail[key] = Path.Combine(local, rest);
    }

    /// <summary>
    /// A trial's time as ISO 8601 UTC, "2026-12-06T12:12:38Z": stored as local time without a zone (Optuna's way), so
    /// converted first. It was .NET's "u" form, "2026-12-06 12:12:38Z", which jq's fromdateiso8601 and older Pythons'
    /// fromisoformat refuse.
    /// </summary>
    public static string? Utc(DateTime? time) =>
        time?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// How long ago, in seconds by this machine's clock, a running trial started: never negative. Optuna's times carry no
    /// zone, so a reader whose TZ is west of the writer's read a start in the future and a negative age (-17991.9 for a
    /// reader 5 h west, audit-ops 12); the age is then 0, and <paramref name="warn"/> is told once per process, when it is
    /// more than clocks of two machines differ by, that the study's times look like another time zone's.
    /// </summary>
    public static double? ElapsedSeconds(DateTime? start, DateTime nowUtc, Action<string> warn)
    {
        if (start is not { } s) return null;
        var elapsed = (nowUtc - s.ToUniversalTime()).TotalSeconds;
        if (elapsed >= 0) return Math.Round(elapsed, 1);
        if (elapsed < -ZoneLikeSeconds && Interlocked.Exchange(ref _zoneWarned, 1) == 0)
            warn($"a running trial started {Durations.Format(TimeSpan.FromSeconds(-elapsed))} in the future by this machine's clock: the study's times " +
                 "look like another time zone's (Optuna stores local times without a zone); run this with the TZ of the process that runs the study");
        return 0;
    }

    // Less than the smallest offset between two zones (15 min) and more than two machines' clocks usually differ by.
    private const double ZoneLikeSeconds = 10 * 60;
    private static int _zoneWarned;

    /// <summary>The value a configuration was chosen by: "0.9812", or "0.9801 (mean of 3)".</summary>
    public static string ChosenValue(BestTrial.Choice choice) =>
        choice.Value.ToString("F4", CultureInfo.InvariantCulture) + (choice.Basis is { } basis ? $" ({basis})" : "");

    /// <summary>An attribute's JSON value as display text (strings unquoted).</summary>
    public static string? Attr(IReadOnlyDictionary<string, string> attrs, string key)
    {
        if (!attrs.TryGetValue(key, out var json)) return null;
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.String ? doc.RootElement.GetString() : doc.RootElement.GetRawText();
        }
        catch (JsonException) { return json; }
    }

    // NaN and ±Infinity, which Optuna stores (value_type INF_POS, intermediate_value_type NAN), are no JSON numbers:
    // OutputFormat writes them as the strings "NaN", "Infinity", "-Infinity" (show failed, exit 2).
    private static JsonNode? Number(double? v) => v is { } d ? OutputFormat.Value(d) : null;

    /// <summary>
    /// A parameter's value (searched, fixed or queued) as Optuna's JSON and best/retrain.json write it: a whole float
    /// keeps its ".0" (dropout 0.0, a categorical choice 1.0), so the same fact has one shape in every output.
    /// </summary>
    public static JsonNode? ParameterValue(object? v) => v is double d && double.IsFinite(d) ? Space.DistributionJson.Float(d) : OutputFormat.Value(v);
}

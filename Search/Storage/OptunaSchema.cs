namespace Mnist.Search.Storage;

/// <summary>
/// Optuna's RDB schema at alembic head <c>v3.2.0.a</c> (<c>version_info.schema_version</c> 12), as Optuna 4
/// creates it with SQLAlchemy 2 (checked against the tables Optuna 4.1 itself creates in SQLite and PostgreSQL).
/// Optuna opens an existing database when <c>alembic_version</c> holds its head revision; it does not compare
/// indexes, which lets us add <c>ix_trials_study_id_number</c> (see <see cref="TrialNumberIndex"/>).
/// </summary>
internal static class OptunaSchema
{
    public const string AlembicRevision = "v3.2.0.a";
    public const int SchemaVersion = 12;

    /// <summary>The Optuna release whose schema this is; Optuna writes its own version here and only shows it in messages.</summary>
    public const string LibraryVersion = "4.1.0";

    // Optuna leaves trials.number without a unique constraint (optuna PR #939) and counts earlier trials instead;
    // we number inside one locked write transaction and let the database enforce the invariant too. NULL numbers
    // (Optuna inserts NULL first, then sets the number in the same transaction) never collide in a unique index.
    public const string TrialNumberIndex =
        "CREATE UNIQUE INDEX IF NOT EXISTS ix_trials_study_id_number ON trials (study_id, number)";

    /// <summary>Tables as SQLAlchemy emits them for SQLite (enums are VARCHAR of the longest name, no CHECK).</summary>
    public static readonly string[] Sqlite =
    [
        """
        CREATE TABLE IF NOT EXISTS studies (
            study_id INTEGER NOT NULL,
            study_name VARCHAR(512) NOT NULL,
            PRIMARY KEY (study_id)
        )
        """,
        "CREATE UNIQUE INDEX IF NOT EXISTS ix_studies_study_name ON studies (study_name)",
        """
        CREATE TABLE IF NOT EXISTS version_info (
            version_info_id INTEGER NOT NULL,
            schema_version INTEGER,
            library_version VARCHAR(256),
            PRIMARY KEY (version_info_id),
            CHECK (version_info_id=1)
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS study_directions (
            study_direction_id INTEGER NOT NULL,
            direction VARCHAR(8) NOT NULL,
            study_id INTEGER NOT NULL,
            objective INTEGER NOT NULL,
            PRIMARY KEY (study_direction_id),
            UNIQUE (study_id, objective),
            FOREIGN KEY(study_id) REFERENCES studies (study_id)
        )
        """,
        AttributeTable("study_user_attributes", "study_user_attribute_id", "study_id", "studies", "INTEGER", "VARCHAR(512)"),
        AttributeTable("study_system_attributes", "study_system_attribute_id", "study_id", "studies", "INTEGER", "VARCHAR(512)"),
        """
        CREATE TABLE IF NOT EXISTS trials (
            trial_id INTEGER NOT NULL,
            number INTEGER,
            study_id INTEGER,
            state VARCHAR(8) NOT NULL,
            datetime_start DATETIME,
            datetime_complete DATETIME,
            PRIMARY KEY (trial_id),
            FOREIGN KEY(study_id) REFERENCES studies (study_id)
        )
        """,
        "CREATE INDEX IF NOT EXISTS ix_trials_study_id ON trials (study_id)",
        AttributeTable("trial_user_attributes", "trial_user_attribute_id", "trial_id", "trials", "INTEGER", "VARCHAR(512)"),
        AttributeTable("trial_system_attributes", "trial_system_attribute_id", "trial_id", "trials", "INTEGER", "VARCHAR(512)"),
        """
        CREATE TABLE IF NOT EXISTS trial_params (
            param_id INTEGER NOT NULL,
            trial_id INTEGER,
            param_name VARCHAR(512),
            param_value FLOAT,
            distribution_json TEXT,
            PRIMARY KEY (param_id),
            UNIQUE (trial_id, param_name),
            FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS trial_values (
            trial_value_id INTEGER NOT NULL,
            trial_id INTEGER NOT NULL,
            objective INTEGER NOT NULL,
            value FLOAT,
            value_type VARCHAR(7) NOT NULL,
            PRIMARY KEY (trial_value_id),
            UNIQUE (trial_id, objective),
            FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS trial_intermediate_values (
            trial_intermediate_value_id INTEGER NOT NULL,
            trial_id INTEGER NOT NULL,
            step INTEGER NOT NULL,
            intermediate_value FLOAT,
            intermediate_value_type VARCHAR(7) NOT NULL,
            PRIMARY KEY (trial_intermediate_value_id),
            UNIQUE (trial_id, step),
            FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS trial_heartbeats (
            trial_heartbeat_id INTEGER NOT NULL,
            trial_id INTEGER NOT NULL,
            heartbeat DATETIME NOT NULL,
            PRIMARY KEY (trial_heartbeat_id),
            UNIQUE (trial_id),
            FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS alembic_version (
            version_num VARCHAR(32) NOT NULL,
            CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
        )
        """,
        TrialNumberIndex,
    ];

    /// <summary>
    /// Tables as SQLAlchemy emits them for PostgreSQL: SERIAL keys and native ENUM types named after the Python
    /// enums (<c>studydirection</c>, <c>trialstate</c>, <c>trialvaluetype</c>, <c>trialintermediatevaluetype</c>).
    /// Runs only when <c>alembic_version</c> is absent, under an advisory lock.
    /// </summary>
    public static readonly string[] Postgres =
    [
        "CREATE TYPE studydirection AS ENUM ('NOT_SET', 'MINIMIZE', 'MAXIMIZE')",
        "CREATE TYPE trialstate AS ENUM ('RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'WAITING')",
        "CREATE TYPE trialvaluetype AS ENUM ('FINITE', 'INF_POS', 'INF_NEG')",
        "CREATE TYPE trialintermediatevaluetype AS ENUM ('FINITE', 'INF_POS', 'INF_NEG', 'NAN')",
        """
        CREATE TABLE studies (
            study_id SERIAL NOT NULL,
            study_name VARCHAR(512) NOT NULL,
            PRIMARY KEY (study_id)
        )
        """,
        "CREATE UNIQUE INDEX ix_studies_study_name ON studies (study_name)",
        """
        CREATE TABLE version_info (
            version_info_id INTEGER NOT NULL,
            schema_version INTEGER,
            library_version VARCHAR(256),
            PRIMARY KEY (version_info_id),
            CHECK (version_info_id=1)
        )
        """,
        """
        CREATE TABLE study_directions (
            study_direction_id SERIAL NOT NULL,
            direction studydirection NOT NULL,
            study_id INTEGER NOT NULL,
            objective INTEGER NOT NULL,
            PRIMARY KEY (study_direction_id),
            UNIQUE (study_id, objective),
            FOREIGN KEY(study_id) REFERENCES studies (study_id)
        )
        """,
        AttributeTable("study_user_attributes", "study_user_attribute_id", "study_id", "studies", "SERIAL", "VARCHAR(512)"),
        AttributeTable("study_system_attributes", "study_system_attribute_id", "study_id", "studies", "SERIAL", "VARCHAR(512)"),
        """
        CREATE TABLE trials (
            trial_id SERIAL NOT NULL,
            number INTEGER,
            study_id INTEGER,
            state trialstate NOT NULL,
            datetime_start TIMESTAMP WITHOUT TIME ZONE,
            datetime_complete TIMESTAMP WITHOUT TIME ZONE,
            PRIMARY KEY (trial_id),
            FOREIGN KEY(study_id) REFERENCES studies (study_id)
        )
        """,
        "CREATE INDEX ix_trials_study_id ON trials (study_id)",
        AttributeTable("trial_user_attributes", "trial_user_attribute_id", "trial_id", "trials", "SERIAL", "VARCHAR(512)"),
        AttributeTable("trial_system_attributes", "trial_system_attribute_id", "trial_id", "trials", "SERIAL", "VARCHAR(512)"),
        """
        CREATE TABLE trial_params (
            param_id SERIAL NOT NULL,
            trial_id INTEGER,
            param_name VARCHAR(512),
            param_value FLOAT,
            distribution_json TEXT,
            PRIMARY KEY (param_id),
            UNIQUE (trial_id, param_name),
            FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
        )
        """,
        """
        CREATE TABLE trial_values (
            trial_value_id SERIAL NOT NULL,
            trial_id INTEGER NOT NULL,
            objective INTEGER NOT NULL,
            value FLOAT,
            value_type trialvaluetype NOT NULL,
            PRIMARY KEY (trial_value_id),
            UNIQUE (trial_id, objective),
            FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
        )
        """,
        """
        CREATE TABLE trial_intermediate_values (
            trial_intermediate_value_id SERIAL NOT NULL,
            trial_id INTEGER NOT NULL,
            step INTEGER NOT NULL,
            intermediate_value FLOAT,
            intermediate_value_type trialintermediatevaluetype NOT NULL,
            PRIMARY KEY (trial_intermediate_value_id),
            UNIQUE (trial_id, step),
            FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
        )
        """,
        """
        CREATE TABLE trial_heartbeats (
            trial_heartbeat_id SERIAL NOT NULL,
            trial_id INTEGER NOT NULL,
            heartbeat TIMESTAMP WITHOUT TIME ZONE NOT NULL,
            PRIMARY KEY (trial_heartbeat_id),
            UNIQUE (trial_id),
            FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
        )
        """,
        """
        CREATE TABLE alembic_version (
            version_num VARCHAR(32) NOT NULL,
            CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
        )
        """,
        TrialNumberIndex,
    ];

    // FLOAT in PostgreSQL is double precision, as SQLAlchemy's Float(precision=53) gives.
    private static string AttributeTable(string table, string idColumn, string ownerColumn, string ownerTable, string idType, string keyType) => $"""
        CREATE TABLE IF NOT EXISTS {table} (
            {idColumn} {idType} NOT NULL,
            {ownerColumn} INTEGER,
            "key" {keyType},
            value_json TEXT,
            PRIMARY KEY ({idColumn}),
            UNIQUE ({ownerColumn}, "key"),
            FOREIGN KEY({ownerColumn}) REFERENCES {ownerTable} ({ownerColumn})
        )
        """;
}

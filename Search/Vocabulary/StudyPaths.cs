namespace Mnist.Search.Vocabulary;

/// <summary>
/// Where a study lives by default: the SQLite file <c>studies/NAME/study.db</c> under a base folder (the configuration
/// file's for <c>study start</c>, the current folder for the commands that take a study's name). Defined once, here,
/// below Config, Study and Cli, which all need it: Config and Cli had each typed it, and a check that compared their
/// two spellings as strings would have turned false the day one of them changed (audit-code 3).
/// </summary>
public static class StudyPaths
{
    /// <summary>The folder of study folders when no <c>--studies-dir</c> is given.</summary>
    public const string StudiesFolder = "studies";

    /// <summary>The SQLite file of a study inside its folder when no storage is given.</summary>
    public const string DatabaseFile = "study.db";

    /// <summary><paramref name="studiesRoot"/>/<paramref name="study"/>/study.db, absolute.</summary>
    public static string DatabaseIn(string studiesRoot, string study) => Path.GetFullPath(Path.Combine(studiesRoot, study, DatabaseFile));

    /// <summary><paramref name="baseDirectory"/>/studies/<paramref name="study"/>/study.db, absolute: the default storage's file.</summary>
    public static string DefaultDatabase(string baseDirectory, string study) => DatabaseIn(Path.Combine(baseDirectory, StudiesFolder), study);
}

using System.CommandLine;
using Mnist.Search.Storage;

namespace Mnist.Search.Cli;

/// <summary>Options several commands share, created fresh for each (an option belongs to one command).</summary>
internal static class CommonOptions
{
    /// <summary>
    /// --storage, said for a command on one study or, with <paramref name="description"/>, another use (study list). A
    /// relative sqlite path is from the current folder, where search.json's storage is from the file's folder. Every
    /// command that takes it takes --studies-dir too, which moves the default (the help said studies/NAME/study.db only).
    /// Defaults are shown as System.CommandLine shows those of <c>DefaultValueFactory</c>, "[default: X]": two forms
    /// stood side by side in one help text.
    /// </summary>
    public static Option<string?> Storage(string? description = null) => StorageUrlValue(new Option<string?>("--storage")
    {
        Description = description ?? "Storage URL: sqlite:PATH (relative to the current folder) or postgresql://user@host:port/db [default: sqlite:studies/NAME/study.db, or DIR/NAME/study.db with --studies-dir DIR]",
    });

    /// <summary>
    /// <paramref name="option"/>, its value refused as a command-line error (one line, exit 2) unless it parses as a
    /// storage URL. The parse's <see cref="FormatException"/> escaped from deep in each command instead, and only the
    /// exit-code map's treating every FormatException as bad input made it exit 2.
    /// </summary>
    public static Option<T> StorageUrlValue<T>(Option<T> option)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0) return;
            try { StorageUrl.Parse(result.Tokens[^1].Value, Directory.GetCurrentDirectory()); }
            catch (FormatException e) { result.AddError(e.Message); }
        });
        return option;
    }

    /// <summary>
    /// --storage of a command that reads a configuration file (study start, study create): its default is the file's
    /// own storage, else studies/NAME/study.db beside the file. The shared text sent users to studies/NAME under the
    /// current folder.
    /// </summary>
    public static Option<string?> ConfigStorage() => Storage(
        "Storage URL, instead of the file's storage: sqlite:PATH (relative to the current folder) or postgresql://user@host:port/db [default: the file's storage, else sqlite:studies/NAME/study.db beside the file]");

    public static Option<string?> StudiesDir() => new("--studies-dir")
    {
        Description = "Folder of study folders [default: studies]",
    };

    public static Option<string> Format(params string[] allowed)
    {
        var option = new Option<string>("--format")
        {
            Description = "Output: " + string.Join(" | ", allowed),
            DefaultValueFactory = _ => allowed[0],
        };
        option.AcceptOnlyFromAmong(allowed);
        return option;
    }

    /// <summary>
    /// The full path of an <c>--out</c> folder (<see cref="Files.OutputFolder.Resolve"/>: a link's target; not the
    /// current folder), checked before any work; an empty or blank one is refused (it used to surface as .NET's
    /// "The value cannot be an empty string").
    /// </summary>
    public static string OutFolder(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) throw new UserInputException("--out: must name a folder, got an empty value");
        var folder = Files.OutputFolder.Resolve(value);
        if (Study.StudyFolder.ReplacedFolderHolding(folder) is { } replaced)
            throw new UserInputException($"--out {folder}: is inside {replaced}, which a study replaces as a whole (a retrain, a trial); give a folder outside it");
        return folder;
    }

    public static Argument<string> StudyName() => new("name") { Description = "Study name" };
}

using System.Globalization;
using Serilog;

namespace Mnist.Search.Retraining;

/// <summary>
/// The folders a retrain works in beside <c>best/</c>: <c>best.tmp-PID</c> (the model being made),
/// <c>best.old-PID</c> (the previous model during the swap) and <c>retrain-failed/</c> (the logs of a failed
/// retrain). A retrain SIGKILLed midway leaves its PID's folders behind; the next retrain removes those of
/// dead processes, and puts a previous model back if the kill fell inside the swap (issue 11).
/// </summary>
internal static class RetrainFolders
{
    public const string FailedLogs = "retrain-failed";

    public static void CleanUpAfterDeadRetrains(string studyDirectory, string finalDir, ILogger log)
    {
        if (!Directory.Exists(studyDirectory)) return;
        foreach (var dir in Directory.EnumerateDirectories(studyDirectory, "best.*-*"))
        {
            var name = Path.GetFileName(dir);
            var dash = name.LastIndexOf('-');
            if (!(name.StartsWith("best.tmp-", StringComparison.Ordinal) || name.StartsWith("best.old-", StringComparison.Ordinal))
                || !int.TryParse(name[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || pid == Environment.ProcessId || Study.ProcessIdentity.Exists(pid))
                continue;
            if (name.StartsWith("best.old-", StringComparison.Ordinal) && !Directory.Exists(finalDir))
            {
                // Killed between moving the previous model aside and moving the new one in: the previous one is still the model.
                Directory.Move(dir, finalDir);
                log.Warning("Restored {Dir} from {Old}, left by retrain process {Pid} that died mid-swap", finalDir, name, pid);
                continue;
            }
            Delete(dir);
            log.Information("Removed {Dir}, left by retrain process {Pid} that died", name, pid);
        }
    }

    public static void Delete(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Litter, not data: failing to tidy it must not fail a retrain.
        }
    }
}

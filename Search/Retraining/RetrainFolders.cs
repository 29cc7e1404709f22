using System.Globalization;
using Mnist.Search.Study;
using Serilog;

namespace Mnist.Search.Retraining;

/// <summary>
/// The folders a retrain works in beside <c>best/</c>: <c>best.tmp-OWNER</c> (the model being made),
/// <c>best.old-OWNER</c> (the previous model during the swap) and <c>retrain-failed/</c> (the logs of a failed
/// retrain). A retrain SIGKILLed midway leaves its folders behind; the next retrain removes those of processes that
/// have certainly ended, and puts a previous model back if the kill fell inside the swap (issue 11).
/// </summary>
/// <remarks>
/// OWNER is the process's full identity (<see cref="ProcessIdentity"/>: pid, host, and boot, pid namespace and start
/// time), <c>PID@HOST@INSTANCE</c> with host and instance %-escaped. The pid alone named the folder before: on a study
/// folder shared by hosts or containers, another live retrain's folder was deleted when its pid was not alive here,
/// and a dead one's kept when an unrelated process had its pid. Folders named <c>best.tmp-PID</c> by earlier versions
/// are still judged by the pid, as then.
/// </remarks>
internal static class RetrainFolders
{
    public const string FailedLogs = "retrain-failed";

    /// <summary>
    /// A folder of a process that cannot be asked (another host or container) is removed once nothing in it was written
    /// for this long.
    /// </summary>
    /// <remarks>
    /// A live retrain's worker appends to <c>stdout.log</c> in its folder at every event, and is stopped after
    /// <c>budget.trial_timeout_minutes</c> of silence; the swap stamps <c>best.old-OWNER</c> when it moves the previous
    /// model aside. A day without a write is far past any of those, yet keeps a dead host's folders for no longer than
    /// a day of disk.
    /// </remarks>
    public static readonly TimeSpan OthersAbandonedAfter = TimeSpan.FromDays(1);

    private const string Work = ".tmp-";
    private const string Aside = ".old-";

    /// <summary>The folder this process makes a new model in, beside <paramref name="finalDir"/>.</summary>
    public static string WorkFolder(string finalDir) => WorkFolder(finalDir, ProcessIdentity.Current);

    /// <summary>Where this process moves the previous <paramref name="finalDir"/> during the swap.</summary>
    public static string AsideFolder(string finalDir) => AsideFolder(finalDir, ProcessIdentity.Current);

    internal static string WorkFolder(string finalDir, ProcessIdentity owner) => finalDir + Work + Token(owner);

    internal static string AsideFolder(string finalDir, ProcessIdentity owner) => finalDir + Aside + Token(owner);

    public static void CleanUpAfterDeadRetrains(string finalDir, ILogger log)
    {
        var studyDirectory = Path.GetDirectoryName(finalDir)!;
        if (!Directory.Exists(studyDirectory)) return;
        var best = Path.GetFileName(finalDir);
        foreach (var dir in Directory.EnumerateDirectories(studyDirectory, best + ".*-*"))
        {
            var name = Path.GetFileName(dir);
            var kind = name.Length > best.Length + Work.Length ? name.Substring(best.Length, Work.Length) : "";
            if (kind is not (Work or Aside) || Abandoned(dir, name[(best.Length + kind.Length)..]) is not { } owner) continue;
            if (kind == Aside && !Directory.Exists(finalDir))
            {
                // Killed between moving the previous model aside and moving the new one in: the previous one is still the model.
                Directory.Move(dir, finalDir);
                log.Warning("Restored {Dir} from {Old}, left by retrain process {Owner} that died mid-swap", finalDir, name, owner);
                continue;
            }
            Delete(dir);
            log.Information("Removed {Dir}, left by retrain process {Owner} that died", name, owner);
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

    // Who left the folder, when it is certainly left for good; null while its process may still use it.
    private static string? Abandoned(string dir, string token)
    {
        var me = ProcessIdentity.Current;
        if (!token.Contains('@'))
            return int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid != me.Pid && !ProcessIdentity.Exists(pid)
                ? $"pid {pid}" : null;
        if (Parse(token) is not { } owner || owner == me || me.IsCertainlyRunning(owner)) return null;
        if (me.HasCertainlyEnded(owner)) return $"{owner.Host} pid {owner.Pid}";
        // Another host or container: its process cannot be asked, only what it last wrote.
        return DateTime.UtcNow - LastWritten(dir) > OthersAbandonedAfter
            ? $"{owner.Host} pid {owner.Pid} (nothing written for {OthersAbandonedAfter.TotalHours:0} h)" : null;
    }

    private static DateTime LastWritten(string dir)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories)
                .Select(File.GetLastWriteTimeUtc).Append(Directory.GetLastWriteTimeUtc(dir)).Max();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return DateTime.UtcNow; // unreadable: taken for in use
        }
    }

    // %-escaping leaves only letters, digits and "-_.~", so "@" separates the parts and any host or instance text survives.
    private static string Token(ProcessIdentity owner) =>
        string.Join('@', new[] { owner.Pid.ToString(CultureInfo.InvariantCulture), Uri.EscapeDataString(owner.Host), owner.Instance is { } i ? Uri.EscapeDataString(i) : null }
            .OfType<string>());

    private static ProcessIdentity? Parse(string token)
    {
        var parts = token.Split('@');
        return parts.Length is 2 or 3 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            ? new ProcessIdentity(Uri.UnescapeDataString(parts[1]), pid, parts.Length == 3 ? Uri.UnescapeDataString(parts[2]) : null)
            : null;
    }
}

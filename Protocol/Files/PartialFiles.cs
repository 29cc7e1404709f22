namespace Mnist.Protocol.Files;

/// <summary>
/// The temporary files this process is part-way through writing, removed if the process is ended before it renames
/// them. A worker stopped by SIGTERM, Ctrl+C or the end of its stdin while it saved a checkpoint left
/// <c>model.bin.tmp</c> behind (tens of MB), under a name nothing comes back for when it runs outside a study.
/// SIGKILL cannot be caught; for trials the coordinator removes what a killed worker left. The worker's signal
/// handlers call <see cref="RemoveNow"/> themselves (they end the process without <c>exit()</c>).
/// </summary>
public static class PartialFiles
{
    private static readonly object Gate = new();
    private static readonly HashSet<string> Open = new(StringComparer.Ordinal);
    private static bool ending;
    private static bool hooked;

    /// <summary>
    /// From now on, files marked by <see cref="Writing"/> are removed when the process ends through
    /// <see cref="Environment.Exit"/> or the runtime's own handling of SIGTERM. For the worker; the coordinator cancels
    /// and cleans up instead.
    /// </summary>
    public static void RemoveWhenEnded()
    {
        lock (Gate)
        {
            if (hooked) return;
            hooked = true;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => RemoveAll();
        }
    }

    /// <summary>Marks <paramref name="paths"/> as being written until the result is disposed (after the rename).</summary>
    /// <exception cref="OperationCanceledException">The process is ending: nothing new is started that would outlive it.</exception>
    public static IDisposable Writing(params string[] paths)
    {
        var full = paths.Select(Path.GetFullPath).ToArray();
        lock (Gate)
        {
            if (ending) throw new OperationCanceledException("the process is ending; nothing more is written");
            foreach (var path in full) Open.Add(path);
        }
        return new Mark(full);
    }

    /// <summary>Removes the files being written now, and refuses new ones: for a process about to end without <c>exit()</c>.</summary>
    public static void RemoveNow() => RemoveAll();

    private static void RemoveAll()
    {
        lock (Gate)
        {
            ending = true;
            foreach (var path in Open)
            {
                // The writer may still hold it open: unlinking is still right (its bytes go with the process).
                try { File.Delete(path); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
            Open.Clear();
        }
    }

    private sealed class Mark(string[] paths) : IDisposable
    {
        public void Dispose()
        {
            lock (Gate)
                foreach (var path in paths) Open.Remove(path);
        }
    }
}

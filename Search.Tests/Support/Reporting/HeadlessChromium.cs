using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Mnist.Search.Tests.Support.Reporting;

/// <summary>
/// Runs Debian's <c>chromium</c> headless on a local page: no network, a fresh profile per run, and virtual time
/// so the page's scripts (its <c>load</c> handler) run before the DOM is dumped.
/// </summary>
internal static partial class HeadlessChromium
{
    public sealed record Page(string Dom, int ImagesLoaded, int ImagesTotal);

    /// <summary>The DOM of <paramref name="htmlPath"/> after load, with the image counts the report's script records.</summary>
    public static async Task<Page> DumpDomAsync(string htmlPath)
    {
        var dom = await RunAsync(["--dump-dom", new Uri(htmlPath).AbsoluteUri]);
        var loaded = LoadedPattern().Match(dom);
        var total = TotalPattern().Match(dom);
        return new Page(dom,
            loaded.Success ? int.Parse(loaded.Groups[1].Value) : -1,
            total.Success ? int.Parse(total.Groups[1].Value) : -1);
    }

    /// <summary>Renders <paramref name="htmlPath"/> into the PNG <paramref name="screenshotPath"/>.</summary>
    public static Task ScreenshotAsync(string htmlPath, string screenshotPath) =>
        RunAsync([$"--screenshot={screenshotPath}", "--window-size=1280,2400", new Uri(htmlPath).AbsoluteUri]);

    /// <summary>Prints <paramref name="htmlPath"/> as Chromium's print dialog would (no header or footer) into <paramref name="pdfPath"/>.</summary>
    public static Task PrintToPdfAsync(string htmlPath, string pdfPath) =>
        RunAsync([$"--print-to-pdf={pdfPath}", "--no-pdf-header-footer", new Uri(htmlPath).AbsoluteUri]);

    private static async Task<string> RunAsync(string[] args)
    {
        var profile = Path.Combine(Path.GetTempPath(), $"chromium-profile-{Guid.NewGuid():N}");
        try
        {
            var (exit, stdout, stderr) = await RunAsync(profile, args);
            if (exit != 0) throw new InvalidOperationException($"chromium exited with {exit}: {stderr}");
            return stdout;
        }
        finally
        {
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string profile, string[] args)
    {
        var psi = new ProcessStartInfo("chromium")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", $"--user-data-dir={profile}", "--virtual-time-budget=5000",
                 })
            psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException("could not start chromium");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"cannot run chromium ({e.Message}); install it with `apt-get install -y chromium`", e);
        }
        using var _ = process;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("chromium did not finish within 90 s");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    [GeneratedRegex("data-images-loaded=\"(\\d+)\"")]
    private static partial Regex LoadedPattern();

    [GeneratedRegex("data-images-total=\"(\\d+)\"")]
    private static partial Regex TotalPattern();
}

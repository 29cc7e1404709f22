using System.Diagnostics;
using Mnist.Search.Tests.Support.Cluster;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cluster;

/// <summary>
/// deploy/slurm/throwaway-cluster.sh deletes the folder it stops, so it deletes only a folder it started: <c>stop</c>
/// removed whatever folder it was given (a user's, with exit 0), and <c>start</c> wrote into a folder holding other
/// files, which the next <c>stop</c> removed with them. (Starting a cluster, the path that marks the folder, runs in
/// .ci/run and <see cref="SlurmClusterFixture"/>.)
/// </summary>
[Trait(Needs.Name, Needs.Slurm)]
public sealed class ThrowawayClusterScriptTests
{
    [Theory]
    [InlineData("stop", "not a folder that")]
    [InlineData("start", "not a new or empty folder")]
    public async Task AFolderThatHoldsAUsersFilesIsRefusedAndKept(string action, string expected)
    {
        // Given a folder of a user's files that no cluster was started in
        using var dir = new TempDirectory("slurm-script");
        Directory.CreateDirectory(dir["work/sub"]);
        File.WriteAllText(dir["work/sub/thesis.tex"], "important");

        // When the script is asked to stop (or start) a cluster there
        var (exit, stderr) = await RunAsync(action, dir["work"]);

        // Then it refuses in one line, exit 2, and every file is still there
        Assert.Equal(2, exit);
        Assert.Contains(expected, Assert.Single(stderr.Trim().Split('\n')));
        Assert.Equal("important", File.ReadAllText(dir["work/sub/thesis.tex"]));
    }

    private static async Task<(int Exit, string Stderr)> RunAsync(string action, string folder)
    {
        var psi = new ProcessStartInfo(RepositoryFiles.Path("deploy/slurm/throwaway-cluster.sh")) { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(action);
        psi.ArgumentList.Add(folder);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stderr);
    }
}

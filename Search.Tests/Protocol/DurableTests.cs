using Mnist.Protocol.Files;

namespace Mnist.Search.Tests.Protocol;

/// <summary>
/// Files written through <see cref="Durable"/>: the whole new content or the old, no temporary left beside them.
/// (That the data reached the disk before the rename cannot be seen without pulling the power; the fsync is there.)
/// </summary>
public sealed class DurableTests : IDisposable
{
    private readonly TempDirectory _dir = new("durable");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void WriteAllTextCreatesTheFolderReplacesTheOldContentAndLeavesNoTemporary()
    {
        var path = _dir["a/b/spec.json"];
        Durable.WriteAllText(path, "old");
        Durable.WriteAllText(path, "new");

        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal(["spec.json"], Directory.GetFiles(_dir["a/b"]).Select(Path.GetFileName));
    }

    [Fact]
    public void AFailedWriteKeepsTheOldFileAndRemovesItsTemporary()
    {
        // Given a file, and a folder where the rename must put the new one (so the rename fails)
        var path = _dir["model.json"];
        Durable.WriteAllText(path, "old");
        Directory.CreateDirectory(_dir["folder"]);

        // When writing there fails
        Assert.ThrowsAny<IOException>(() => Durable.WriteAllText(_dir["folder"], "new"));

        // Then the other file is as it was and no temporary is left
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal(["model.json"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void ReplaceMovesAFinishedTemporaryOverTheFile()
    {
        var path = _dir["weights.bin"];
        File.WriteAllBytes(path, [1]);
        File.WriteAllBytes(path + ".tmp", [2, 3]);

        Durable.Replace(path + ".tmp", path);

        Assert.Equal([2, 3], File.ReadAllBytes(path));
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public void AWriterThatFailsLeavesTheOldFileAndNoTemporary()
    {
        var path = _dir["model.onnx"];
        Durable.WriteAllText(path, "old");

        Assert.Throws<InvalidOperationException>(() => Durable.Write(path, temporary =>
        {
            File.WriteAllText(temporary, "half");
            throw new InvalidOperationException("disk full");
        }));

        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal(["model.onnx"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void TheTemporaryIsHiddenKeepsTheExtensionAndIsThisWritersOwn()
    {
        string? seen = null;
        Durable.Write(_dir["plot.png"], temporary => { seen = temporary; File.WriteAllText(temporary, "png"); });

        var name = Path.GetFileName(seen)!;
        Assert.StartsWith($".plot.png.tmp-{Environment.ProcessId}-", name, StringComparison.Ordinal);
        Assert.EndsWith(".png", name, StringComparison.Ordinal);
    }

    [Fact]
    public void WhatAKilledWriterLeftIsSweptByTheNextWriteOfThatNameAfterAnHourOfQuiet()
    {
        // Given the temporaries of a SIGKILLed writer (a pid no process has): one an hour old, one fresh; and a live one's
        var old = _dir[$".model.onnx.tmp-{DeadPid()}-{Guid.NewGuid():N}.onnx"];
        var fresh = _dir[$".model.onnx.tmp-{DeadPid()}-{Guid.NewGuid():N}.onnx"];
        var live = _dir[$".model.onnx.tmp-1-{Guid.NewGuid():N}.onnx"];
        foreach (var f in new[] { old, fresh, live }) File.WriteAllText(f, "half");
        File.SetLastWriteTimeUtc(old, DateTime.UtcNow.AddHours(-2));
        File.SetLastWriteTimeUtc(live, DateTime.UtcNow.AddHours(-2));

        // When the model is written again
        Durable.WriteAllText(_dir["model.onnx"], "new");

        // Then only the old one of the gone process is removed
        Assert.False(File.Exists(old));
        Assert.True(File.Exists(fresh));
        Assert.True(File.Exists(live));
    }

    private static int DeadPid()
    {
        var pid = 4_000_000;
        while (Directory.Exists($"/proc/{pid}")) pid++;
        return pid;
    }
}

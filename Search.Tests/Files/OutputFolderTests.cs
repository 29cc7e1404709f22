using Mnist.Search.Files;

namespace Mnist.Search.Tests.Files;

/// <summary>The rule of a folder written whole (<c>--out</c> of report and export), on real folders.</summary>
public sealed class OutputFolderTests : IDisposable
{
    private static readonly IReadOnlySet<string> Own = new HashSet<string> { "index.html" };
    private readonly TempDirectory _dir = new("output-folder");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void AFolderHoldingAnythingElseIsRefusedAndLeftAsItWas()
    {
        Directory.CreateDirectory(_dir["out"]);
        File.WriteAllText(_dir["out/study.db"], "precious");

        var e = Assert.Throws<OutputFolderException>(() => OutputFolder.Stage(_dir["out"], "report", Own));

        Assert.Contains("holds 'study.db', which is not part of a report; nothing was written", e.Message);
        Assert.Equal("precious", File.ReadAllText(_dir["out/study.db"]));
        Assert.Equal([_dir["out"]], Directory.GetDirectories(_dir.Path));
    }

    [Fact]
    public void AnEarlierOneIsSwappedForTheNewOneWhole()
    {
        Directory.CreateDirectory(_dir["out"]);
        File.WriteAllText(_dir["out/index.html"], "old");

        var staging = OutputFolder.Stage(_dir["out"], "report", Own);
        File.WriteAllText(Path.Combine(staging.Path, "index.html"), "new");
        OutputFolder.Promote(staging, _dir["out"]);

        Assert.Equal("new", File.ReadAllText(_dir["out/index.html"]));
        Assert.Equal([_dir["out"]], Directory.GetDirectories(_dir.Path));
    }

    [Fact]
    public void AFailedRunRemovesTheFoldersItMadeAboveTheOutputButNoOthers()
    {
        // Given an output two folders below one that exists (and is empty: it must stay)
        Directory.CreateDirectory(_dir["mine"]);

        // When a run stages it and then fails
        var staging = OutputFolder.Stage(_dir["mine/a/b/out"], "report", Own);
        OutputFolder.Discard(staging);

        // Then the folders it made are gone (an empty a/b/ was left), the one that was there stays
        Assert.False(Directory.Exists(_dir["mine/a"]));
        Assert.True(Directory.Exists(_dir["mine"]));
    }

    [Fact]
    public void WhatAKilledRunLeftBesideItIsRemovedButNotWhatALiveOneIsWriting()
    {
        // Given the staging and old folders of a run that was killed (its pid is gone) and the staging of one still running (ours)
        var dead = Directory.CreateDirectory(_dir[".out.tmp-4000001-abc"]).FullName;
        var deadOld = Directory.CreateDirectory(_dir[".out.old-4000001-def"]).FullName;
        var live = Directory.CreateDirectory(_dir[$".out.tmp-{Environment.ProcessId}-xyz"]).FullName;

        // When the next run stages its folder
        var staging = OutputFolder.Stage(_dir["out"], "report", Own);

        // Then the dead run's folders are gone and the live one's stays
        Assert.False(Directory.Exists(dead));
        Assert.False(Directory.Exists(deadOld));
        Assert.True(Directory.Exists(live));
        Assert.True(Directory.Exists(staging.Path));
    }
}

namespace Mnist.Search.Tests.Support.Faults;

/// <summary>Damages files the way crashes, bad copies and hostile users do.</summary>
public static class FileFaults
{
    /// <summary>Cuts <paramref name="path"/> to its first <paramref name="keepBytes"/> bytes (a copy interrupted midway).</summary>
    public static void Truncate(string path, long keepBytes)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Write);
        f.SetLength(Math.Min(keepBytes, f.Length));
    }

    /// <summary>Replaces <paramref name="path"/> with <paramref name="bytes"/> random bytes (seeded, so a failure reproduces).</summary>
    public static void Randomize(string path, int bytes, int seed = 1)
    {
        var data = new byte[bytes];
        new Random(seed).NextBytes(data);
        File.WriteAllBytes(path, data);
    }

    /// <summary>Flips every bit of <paramref name="count"/> bytes starting at <paramref name="offset"/> (bit rot, a bad sector).</summary>
    public static void FlipBytes(string path, long offset, int count)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        var buffer = new byte[count];
        f.Position = offset;
        var n = f.Read(buffer, 0, count);
        for (var i = 0; i < n; i++) buffer[i] ^= 0xFF;
        f.Position = offset;
        f.Write(buffer, 0, n);
    }

    /// <summary>Overwrites <paramref name="path"/> with <paramref name="text"/> (a hand-edited or hostile file).</summary>
    public static void Replace(string path, string text) => File.WriteAllText(path, text);
}

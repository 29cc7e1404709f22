namespace Mnist.Protocol.Files;

/// <summary>
/// What is wrong with a path given as a file to read whole (an image, a sidecar, a spec, an ONNX model, a dataset
/// file), found without opening it: opening a named pipe blocks until something writes to it (predict hung), and a
/// device reports size 0 yet never ends (/dev/zero was read until memory ran out). Every file read here has content,
/// so size 0 is refused whether empty or special, and a size cap keeps a wrong file from filling memory.
/// </summary>
/// <remarks>
/// The one place that knows a path may be a symbolic link: what is read is its final target, and a link's own size
/// (<c>new FileInfo(link).Length</c> on Linux) is the length of its target's name. Sizing a file any other way cut a
/// linked image to 16 bytes ("not a readable image") and a linked model.bin to 39 ("truncated").
/// </remarks>
public static class RegularFile
{
    /// <summary>Null when <paramref name="path"/> is a regular file of 1..<paramref name="maxBytes"/> bytes; else the problem, to follow the path.</summary>
    public static string? Problem(string path, long maxBytes)
    {
        if (Directory.Exists(path)) return "is a directory, not a file";
        var info = new FileInfo(path);
        if (!info.Exists) return "does not exist";
        try { info = Target(path); }
        catch (IOException) { return "is a link that cannot be followed"; }
        if (!info.Exists) return "is a link to nothing";
        if (info.Length == 0) return "is empty, or not a regular file (a device, pipe or special file)";
        if (info.Length > maxBytes) return $"is {info.Length} bytes; at most {maxBytes} are read from such a file";
        return null;
    }

    /// <summary>The size in bytes of what reading <paramref name="path"/> gives: a link's final target's, not the link's own.</summary>
    /// <exception cref="FileNotFoundException">Nothing is there, or the link points to nothing.</exception>
    /// <exception cref="IOException">The link cannot be followed (a loop).</exception>
    public static long Length(string path) => Target(path).Length;

    // The file itself, or for a link its final target.
    private static FileInfo Target(string path)
    {
        var info = new FileInfo(path);
        return info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info;
    }
}

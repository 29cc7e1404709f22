namespace Mnist.Protocol.Files;

/// <summary>
/// What is wrong with a path given as a file to read whole (an image, a sidecar, a spec, an ONNX model, a dataset
/// file), found without opening it: opening a named pipe blocks until something writes to it (predict hung), and a
/// device reports size 0 yet never ends (/dev/zero was read until memory ran out). Every file read here has content,
/// so size 0 is refused whether empty or special, and a size cap keeps a wrong file from filling memory.
/// </summary>
public static class RegularFile
{
    /// <summary>Null when <paramref name="path"/> is a regular file of 1..<paramref name="maxBytes"/> bytes; else the problem, to follow the path.</summary>
    public static string? Problem(string path, long maxBytes)
    {
        if (Directory.Exists(path)) return "is a directory, not a file";
        var info = new FileInfo(path);
        if (!info.Exists) return "does not exist";
        // A link's own size is its target's name: what is read is the target.
        try { if (info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target) info = target; }
        catch (IOException) { return "is a link that cannot be followed"; }
        if (!info.Exists) return "is a link to nothing";
        if (info.Length == 0) return "is empty, or not a regular file (a device, pipe or special file)";
        if (info.Length > maxBytes) return $"is {info.Length} bytes; at most {maxBytes} are read from such a file";
        return null;
    }
}

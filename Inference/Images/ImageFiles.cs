namespace Mnist.Inference.Images;

/// <summary>Turns <c>predict</c>'s arguments into image paths: a file stays as given, a folder gives its images.</summary>
internal static class ImageFiles
{
    /// <summary>The extensions a folder is searched for (lower case); the decoder reads all of them.</summary>
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

    /// <summary>
    /// One image to answer: its path, or, for a folder that gave no image, the folder and why (<see cref="Error"/>:
    /// "PATH: problem", worded as an <see cref="ImageInputException"/>'s message so every error entry reads alike).
    /// </summary>
    public sealed record Item(string Path, string? Error = null);

    /// <summary>
    /// Each argument in order; a folder is replaced by its image files (not recursive, ordinal name order). A path
    /// that does not exist is kept, so the prediction reports it as that image's error. A folder that holds no image,
    /// or cannot be listed, is kept as one item with its <see cref="Item.Error"/>: like an unreadable file, it must not
    /// stop the other arguments from being answered (it used to end the whole command, and <c>--format json</c>
    /// printed nothing).
    /// </summary>
    /// <param name="warn">Told, once per folder that gave images, of its other files (a .tiff among them was
    /// skipped without a word), and of its subfolders, whose images are not read (they were skipped without a word too:
    /// a class-per-folder layout, <c>test/0/*.png</c>, answered nothing and named nothing).</param>
    public static IReadOnlyList<Item> Expand(IEnumerable<string> arguments, Action<string>? warn = null)
    {
        var items = new List<Item>();
        foreach (var argument in arguments)
        {
            if (!Directory.Exists(argument))
            {
                items.Add(new Item(argument));
                continue;
            }

            List<string> images;
            List<string> skipped;
            List<string> subfolders;
            try
            {
                var files = Directory.EnumerateFiles(argument).Order(StringComparer.Ordinal).ToList();
                images = files.Where(IsImage).ToList();
                skipped = files.Where(f => !IsImage(f)).ToList();
                subfolders = Directory.EnumerateDirectories(argument).Order(StringComparer.Ordinal).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                items.Add(new Item(argument, $"{argument}: folder cannot be read ({(e is UnauthorizedAccessException ? "permission denied" : e.Message)})"));
                continue;
            }
            // A folder with no image at all gets its error entry instead, which lists the types read.
            if (skipped.Count > 0 && images.Count > 0 && warn is not null)
                warn($"{argument}: skipped {skipped.Count} file{(skipped.Count == 1 ? "" : "s")} that {(skipped.Count == 1 ? "is" : "are")} not {Types} ({Named(skipped)})");
            if (subfolders.Count > 0 && images.Count > 0 && warn is not null)
                warn($"{argument}: skipped {Subfolders(subfolders)}");
            if (images.Count == 0)
                items.Add(new Item(argument, $"{argument}: folder holds no image ({string.Join(", ", Extensions)})"
                    + (subfolders.Count > 0 ? $"; skipped {Subfolders(subfolders)}" : "")));
            else
                items.AddRange(images.Select(image => new Item(image)));
        }

        return items;
    }

    private const string Types = "PNG, JPEG, BMP, GIF or WebP";

    // Only the folder itself is read, not the folders in it: give each subfolder (or its images) as an argument.
    private static string Subfolders(List<string> subfolders) =>
        $"{subfolders.Count} subfolder{(subfolders.Count == 1 ? "" : "s")}, whose images are not read ({Named(subfolders)})";

    // The first five names, and how many more.
    private static string Named(List<string> paths) =>
        string.Join(", ", paths.Take(5).Select(System.IO.Path.GetFileName)) + (paths.Count > 5 ? $", and {paths.Count - 5} more" : "");

    private static bool IsImage(string file) => Extensions.Contains(System.IO.Path.GetExtension(file).ToLowerInvariant());
}

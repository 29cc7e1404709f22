namespace Mnist.Inference.Images;

/// <summary>Turns <c>predict</c>'s arguments into image paths: a file stays as given, a folder gives its images.</summary>
internal static class ImageFiles
{
    /// <summary>The extensions a folder is searched for (lower case); the decoder reads all of them.</summary>
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

    /// <summary>
    /// Each argument in order; a folder is replaced by its image files (not recursive, ordinal name order). A path
    /// that does not exist is kept, so the prediction reports it as that image's error.
    /// </summary>
    /// <exception cref="ImageInputException">A folder holds no image file.</exception>
    public static IReadOnlyList<string> Expand(IEnumerable<string> arguments)
    {
        var paths = new List<string>();
        foreach (var argument in arguments)
        {
            if (!Directory.Exists(argument))
            {
                paths.Add(argument);
                continue;
            }

            var images = Directory.EnumerateFiles(argument)
                .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .Order(StringComparer.Ordinal)
                .ToList();
            if (images.Count == 0)
                throw new ImageInputException(argument, $"folder holds no image ({string.Join(", ", Extensions)})");
            paths.AddRange(images);
        }

        return paths;
    }
}

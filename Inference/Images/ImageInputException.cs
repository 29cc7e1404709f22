namespace Mnist.Inference.Images;

/// <summary>An input image cannot be used: missing, empty, not an image, truncated, too large, or blank.</summary>
/// <remarks>The message is one line, <c>"{path}: {problem}"</c>; the CLI maps this exception to exit code 2.</remarks>
internal sealed class ImageInputException(string path, string problem) : Exception($"{path}: {problem}")
{
    public string ImagePath { get; } = path;

    public string Problem { get; } = problem;
}

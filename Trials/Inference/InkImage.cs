namespace Mnist.Trials.Inference;

/// <summary>A single-channel image, row-major; in the preprocessor 0 is background and 1 is full ink.</summary>
internal sealed record InkImage(int Width, int Height, float[] Pixels)
{
    public float this[int x, int y] => Pixels[(y * Width) + x];

    public static InkImage Blank(int width, int height) => new(width, height, new float[width * height]);
}

namespace Mnist.Inference.Images;

/// <summary>Separable antialiased resizing: area averaging when shrinking, linear interpolation when growing.</summary>
internal static class Resampler
{
    public static InkImage Resize(InkImage source, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        var columns = Weights(source.Width, width);
        var rows = Weights(source.Height, height);

        // Rows first: source.Height × width, then columns: height × width.
        var horizontal = new float[source.Height * width];
        for (var y = 0; y < source.Height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var sum = 0f;
                foreach (var (index, weight) in columns[x])
                {
                    sum += source.Pixels[(y * source.Width) + index] * weight;
                }

                horizontal[(y * width) + x] = sum;
            }
        }

        var result = new float[height * width];
        for (var y = 0; y < height; y++)
        {
            foreach (var (index, weight) in rows[y])
            {
                for (var x = 0; x < width; x++)
                {
                    result[(y * width) + x] += horizontal[(index * width) + x] * weight;
                }
            }
        }

        return new InkImage(width, height, result);
    }

    /// <summary>For each output index, the source indices and weights (summing to 1) that make it up.</summary>
    internal static (int Index, float Weight)[][] Weights(int sourceLength, int targetLength)
    {
        var weights = new (int, float)[targetLength][];
        var ratio = (double)sourceLength / targetLength;
        for (var i = 0; i < targetLength; i++)
        {
            weights[i] = ratio >= 1 ? AreaWeights(i, ratio, sourceLength) : LinearWeights(i, ratio, sourceLength);
        }

        return weights;
    }

    // Output pixel i covers source interval [i·ratio, (i+1)·ratio); each source pixel j covers [j, j+1).
    private static (int, float)[] AreaWeights(int i, double ratio, int sourceLength)
    {
        var begin = i * ratio;
        var end = Math.Min((i + 1) * ratio, sourceLength);
        var list = new List<(int, float)>();
        for (var j = (int)Math.Floor(begin); j < end; j++)
        {
            var overlap = Math.Min(end, j + 1) - Math.Max(begin, j);
            if (overlap > 0)
            {
                list.Add((j, (float)(overlap / (end - begin))));
            }
        }

        return [.. list];
    }

    // Pixel centres are aligned (i + 0.5)·ratio − 0.5, clamped at the edges.
    private static (int, float)[] LinearWeights(int i, double ratio, int sourceLength)
    {
        var position = Math.Clamp(((i + 0.5) * ratio) - 0.5, 0, sourceLength - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sourceLength - 1);
        var t = (float)(position - lower);
        return lower == upper ? [(lower, 1f)] : [(lower, 1 - t), (upper, t)];
    }
}

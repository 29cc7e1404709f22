namespace Mnist.Inference.Images;

/// <summary>
/// Whether an image already is a model's input in its dataset's own format, so that predict takes it as it is: the
/// recipe's background subtraction, contrast stretch, crop and re-placing would only move the dataset's own images
/// (re-placing MNIST's test digits cost a 99.45 % model 14 of 10,000 answers). An image that merely has the size (a
/// 28×28 canvas drawing off-centre, on grey, or filling the frame) goes through the recipe.
/// </summary>
/// <remarks>
/// Each bound was measured on all 70,000 images of each dataset, so every one of them still passes: MNIST's ink box is
/// at most 20 px, its centre of mass within 1.0 px of the centre; yet ink reaches the outer 4-px frame in 74 % of its
/// test digits and the outermost ring in 1 %, so "the border is empty" is no invariant. Fashion-MNIST's garments fill
/// the frame (the outer ring holds ink in 99.5 %, its median is up to 0.36), but its darkest quarter is black in all.
/// </remarks>
internal static class DatasetFormat
{
    /// <summary>Darker than this (0..1) is background; the preprocessor's noise floor.</summary>
    public const float Black = 0.1f;

    // MNIST's size normalisation (the longer side of the ink in a 20×20 box) and centring (by centre of mass, at
    // 13.5 in 0..27, integer shifts: off by up to 1.0 px in its own images).
    private const int DigitBox = 20;
    private const double CentreTolerance = 1.5;

    public static bool Holds(InkImage gray, ImageRecipe recipe) =>
        gray.Width == DigitImagePreprocessor.CanvasSize && gray.Height == DigitImagePreprocessor.CanvasSize
        && BackgroundIsBlack(gray)
        && (recipe != ImageRecipe.MnistDigit || IsPlacedAsMnist(gray));

    // Black background: the darkest quarter of the outer ring is below Black. A grey or light background fails it;
    // an object filling most of the frame (Fashion's pullovers) or a stroke crossing the edge does not.
    private static bool BackgroundIsBlack(InkImage gray)
    {
        var ring = new List<float>(4 * gray.Width);
        for (var y = 0; y < gray.Height; y++)
            for (var x = 0; x < gray.Width; x++)
                if (x == 0 || y == 0 || x == gray.Width - 1 || y == gray.Height - 1) ring.Add(gray[x, y]);
        ring.Sort();
        return ring[ring.Count / 4] < Black;
    }

    // As MNIST placed its digits: the ink's bounding box at most 20 px on its longer side, and its centre of mass
    // (grey levels as weights) within CentreTolerance of the canvas centre on both axes.
    private static bool IsPlacedAsMnist(InkImage gray)
    {
        int left = int.MaxValue, top = int.MaxValue, right = -1, bottom = -1;
        for (var y = 0; y < gray.Height; y++)
            for (var x = 0; x < gray.Width; x++)
                if (gray[x, y] > Black)
                    (left, right, top, bottom) = (Math.Min(left, x), Math.Max(right, x), Math.Min(top, y), Math.Max(bottom, y));

        if (right < 0) return true; // no ink: the "nothing found" error is the recipe's to give
        const double centre = (DigitImagePreprocessor.CanvasSize - 1) / 2.0;
        var (cx, cy) = gray.CentreOfMass();
        return Math.Max(right - left + 1, bottom - top + 1) <= DigitBox
            && Math.Abs(cx - centre) <= CentreTolerance && Math.Abs(cy - centre) <= CentreTolerance;
    }
}

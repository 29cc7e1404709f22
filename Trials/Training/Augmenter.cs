using Mnist.Trials.Native;
using Mnist.Trials.Protocol;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Mnist.Trials.Training;

/// <summary>
/// Random rotation, translation and scale for a whole batch at once: one affine matrix per image,
/// applied with <c>affine_grid</c> + <c>grid_sample</c> — no per-image loop. Randomness comes from the
/// given generator (on the images' device), so a seed reproduces the same augmented batches.
/// </summary>
internal sealed class Augmenter(double rotationDegrees, double translateFraction, double scaleFraction, double background, Generator generator)
{
    // The coefficients as Scalars held for the augmenter's life, not converted inline: an inline conversion is a
    // temporary that a garbage collection on another thread may free while libtorch reads it (see HeldScalars).
    // Same types and values as the inline ones were, so the same images.
    private readonly Scalar two = 2.ToScalar(), oneDouble = 1.0.ToScalar();
    private readonly Scalar radians = (rotationDegrees * Math.PI / 180.0).ToScalar();
    private readonly Scalar shift = (2 * translateFraction).ToScalar();
    private readonly Scalar scale = scaleFraction.ToScalar();
    private readonly Scalar backgroundScalar = background.ToScalar();

    public static Augmenter? From(Hyperparameters hp, double background, Generator generator) =>
        hp.AugmentationEnabled
            ? new Augmenter(hp.RotationDegrees, hp.TranslateFraction, hp.ScaleFraction, background, generator)
            : null;

    /// <summary>Returns an augmented copy of <paramref name="images"/> (<c>[N,C,H,W]</c>, normalised); call inside a dispose scope.</summary>
    public Tensor Apply(Tensor images)
    {
        long n = images.shape[0];
        // One draw of four uniforms in [-1, 1) per image (angle, tx, ty, scale) from the seeded generator, on
        // its device: the CPU generator on the CPU (as before), a CUDA one on a GPU, so no host round trip.
        var u = torch.rand([n, 4], generator: generator, device: generator.device).mul(two).sub(HeldScalars.One).to(images.device).unbind(1);
        var angle = u[0].mul(radians);
        // affine_grid works in [-1, 1] coordinates, so a shift of f image widths is 2f there.
        var tx = u[1].mul(shift);
        var ty = u[2].mul(shift);
        // theta maps output to input coordinates: sampling at coords / s draws the content s times larger.
        var inv = scaleFraction > 0 ? u[3].mul(scale).add(oneDouble, alpha: HeldScalars.One).reciprocal_() : torch.ones_like(u[3]);
        var cos = angle.cos() * inv;
        var sin = angle.sin() * inv;
        var row0 = torch.stack([cos, -sin, tx], dim: 1);
        var row1 = torch.stack([sin, cos, ty], dim: 1);
        var theta = torch.stack([row0, row1], dim: 1).to_type(images.dtype);
        var grid = F.affine_grid(theta, images.shape, align_corners: false);
        // grid_sample pads with zeros; shift so that zero is the (normalised) background, not mid-grey.
        var shifted = images.sub(backgroundScalar);
        var warped = F.grid_sample(shifted, grid, mode: GridSampleMode.Bilinear, padding_mode: GridSamplePaddingMode.Zeros, align_corners: false);
        return warped.add_(backgroundScalar, alpha: HeldScalars.One);
    }
}

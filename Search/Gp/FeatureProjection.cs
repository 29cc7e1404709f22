namespace Mnist.Search.Gp;

/// <summary>
/// Moves a feature vector onto the part of the cube a proposal can take, in place, and marks each column it set in
/// <paramref name="fixedColumns"/> (where the acquisition is flat, its gradient zero). The conditional spaces' use: a
/// column of a parameter that the point's other values leave out takes one constant (see the gp sampler).
/// </summary>
internal delegate void FeatureProjection(Span<double> features, Span<bool> fixedColumns);

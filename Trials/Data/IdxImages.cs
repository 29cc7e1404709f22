namespace Mnist.Trials.Data;

/// <summary>Pixels of an idx3 file: <paramref name="Pixels"/> holds <c>Count × Rows × Cols</c> bytes, row-major.</summary>
internal sealed record IdxImages(ReadOnlyMemory<byte> Pixels, int Count, int Rows, int Cols);

using SkiaSharp;

namespace Mnist.Search.Tests.Support.Post;

/// <summary>Draws digit-like test images with SkiaSharp and encodes them; writes BMP by hand.</summary>
internal static class DigitImages
{
    /// <summary>A "7": a top bar and a slanted stem, drawn with a round-capped antialiased pen.</summary>
    public static byte[] Seven(
        int width = 200,
        int height = 200,
        SKColor? background = null,
        SKColor? ink = null,
        SKEncodedImageFormat format = SKEncodedImageFormat.Png,
        float scale = 1f,
        float dx = 0,
        float dy = 0,
        float rotateDegrees = 0)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var canvas = new SKCanvas(bitmap))
        using (var paint = new SKPaint())
        {
            canvas.Clear(background ?? SKColors.White);
            canvas.RotateDegrees(rotateDegrees, width / 2f, height / 2f);
            paint.Color = ink ?? SKColors.Black;
            paint.IsAntialias = true;
            paint.Style = SKPaintStyle.Stroke;
            paint.StrokeWidth = 14 * scale;
            paint.StrokeCap = SKStrokeCap.Round;
            canvas.DrawLine(dx + (60 * scale), dy + (50 * scale), dx + (140 * scale), dy + (50 * scale), paint);
            canvas.DrawLine(dx + (140 * scale), dy + (50 * scale), dx + (90 * scale), dy + (160 * scale), paint);
        }

        return Encode(bitmap, format);
    }

    /// <summary>Inserts an EXIF APP1 segment carrying only the orientation tag right after a JPEG's SOI marker.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        byte[] tiff =
        [
            (byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, // little-endian TIFF header, first IFD at offset 8
            1, 0,                                    // one entry
            0x12, 0x01, 3, 0, 1, 0, 0, 0,            // tag 0x0112 Orientation, type SHORT, count 1
            (byte)orientation, 0, 0, 0,              // value, padded to 4 bytes
            0, 0, 0, 0,                              // no next IFD
        ];
        var payload = "Exif\0\0"u8.ToArray().Concat(tiff).ToArray();
        var length = payload.Length + 2;
        byte[] segment = [0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. payload];
        return [.. jpeg[..2], .. segment, .. jpeg[2..]];
    }

    public static byte[] Blank(int width, int height, SKColor color)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(color);
        }

        return Encode(bitmap, SKEncodedImageFormat.Png);
    }

    /// <summary>An uncompressed 24-bit bottom-up BMP; <paramref name="pixel"/> gives the gray level at (x, y).</summary>
    public static byte[] Bmp(int width, int height, Func<int, int, byte> pixel)
    {
        var rowBytes = ((width * 3) + 3) & ~3;
        var data = new byte[54 + (rowBytes * height)];
        using var writer = new BinaryWriter(new MemoryStream(data));
        writer.Write((byte)'B');
        writer.Write((byte)'M');
        writer.Write(data.Length);
        writer.Write(0);
        writer.Write(54);
        writer.Write(40);
        writer.Write(width);
        writer.Write(height);
        writer.Write((short)1);
        writer.Write((short)24);
        writer.Write(0);
        writer.Write(rowBytes * height);
        writer.Write(2835);
        writer.Write(2835);
        writer.Write(0);
        writer.Write(0);
        for (var row = 0; row < height; row++)
        {
            var y = height - 1 - row;
            for (var x = 0; x < width; x++)
            {
                var v = pixel(x, y);
                data[54 + (row * rowBytes) + (3 * x)] = v;
                data[54 + (row * rowBytes) + (3 * x) + 1] = v;
                data[54 + (row * rowBytes) + (3 * x) + 2] = v;
            }
        }

        return data;
    }

    private static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var encoded = image.Encode(format, 95)
            ?? throw new InvalidOperationException($"SkiaSharp cannot encode {format}");
        return encoded.ToArray();
    }
}

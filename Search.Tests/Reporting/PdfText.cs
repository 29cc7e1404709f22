using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;

namespace Mnist.Search.Tests.Reporting;

/// <summary>
/// The text Chromium printed into a PDF (no PDF reader is installed here): each page's content stream is inflated and
/// its shown strings (<c>&lt;hex&gt; Tj</c>, <c>[...] TJ</c>) are mapped through the selected font's <c>ToUnicode</c>
/// CMap. Enough for Chromium's (Skia's) output, which writes glyph ids and such CMaps; one line per text object
/// (<c>BT</c> … <c>ET</c>: a line of a cell or paragraph; small text is placed glyph by glyph within one).
/// </summary>
internal static partial class PdfText
{
    public static string Extract(string pdfPath)
    {
        var pdf = Encoding.Latin1.GetString(File.ReadAllBytes(pdfPath));
        var objects = ObjectPattern().Matches(pdf).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        string Stream(string id)
        {
            var body = objects[id];
            var start = body.IndexOf("stream", StringComparison.Ordinal) + "stream".Length;
            while (body[start] is '\r' or '\n') start++;
            var end = body.LastIndexOf("endstream", StringComparison.Ordinal);
            var bytes = Encoding.Latin1.GetBytes(body[start..end]);
            if (!body[..start].Contains("/FlateDecode", StringComparison.Ordinal)) return Encoding.Latin1.GetString(bytes);
            using var inflated = new ZLibStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var text = new MemoryStream();
            inflated.CopyTo(text);
            return Encoding.Latin1.GetString(text.ToArray());
        }

        // Font resource name (/F4) → glyph id → text. Skia names a font after its object, the same on every page.
        var fonts = new Dictionary<string, Dictionary<int, string>>();
        foreach (Match resource in FontResourcePattern().Matches(pdf))
        {
            var (name, id) = (resource.Groups[1].Value, resource.Groups[2].Value);
            if (fonts.ContainsKey(name) || ToUnicodePattern().Match(objects[id]) is not { Success: true } cmap) continue;
            fonts[name] = CMap(Stream(cmap.Groups[1].Value));
        }
        var output = new StringBuilder();
        foreach (Match page in ContentsPattern().Matches(pdf))
        {
            var font = new Dictionary<int, string>();
            foreach (Match op in OperatorPattern().Matches(Stream(page.Groups[1].Value)))
            {
                if (op.Groups["font"].Success) font = fonts.GetValueOrDefault(op.Groups["font"].Value, []);
                else if (op.Groups["end"].Success) output.Append('\n');
                else
                    foreach (Match hex in HexPattern().Matches(op.Groups["shown"].Value))
                        for (var i = 0; i + 4 <= hex.Groups[1].Length; i += 4)
                            output.Append(font.GetValueOrDefault(Convert.ToInt32(hex.Groups[1].Value.Substring(i, 4), 16), "?"));
            }
        }
        return output.ToString();
    }

    private static Dictionary<int, string> CMap(string cmap)
    {
        var map = new Dictionary<int, string>();
        static string Unicode(string hex) => Encoding.BigEndianUnicode.GetString(Convert.FromHexString(hex));
        foreach (Match block in BfCharPattern().Matches(cmap))
            foreach (Match pair in PairPattern().Matches(block.Groups[1].Value))
                map[Convert.ToInt32(pair.Groups[1].Value, 16)] = Unicode(pair.Groups[2].Value);
        foreach (Match block in BfRangePattern().Matches(cmap))
            foreach (Match range in RangePattern().Matches(block.Groups[1].Value))
            {
                var (low, high, first) = (Convert.ToInt32(range.Groups[1].Value, 16), Convert.ToInt32(range.Groups[2].Value, 16), Convert.ToInt32(range.Groups[3].Value, 16));
                for (var g = low; g <= high; g++) map[g] = char.ConvertFromUtf32(first + g - low);
            }
        return map;
    }

    [GeneratedRegex(@"(\d+) 0 obj\s*(.*?)endobj", RegexOptions.Singleline)]
    private static partial Regex ObjectPattern();

    [GeneratedRegex(@"/(F\d+) (\d+) 0 R")]
    private static partial Regex FontResourcePattern();

    [GeneratedRegex(@"/ToUnicode (\d+) 0 R")]
    private static partial Regex ToUnicodePattern();

    [GeneratedRegex(@"/Type /Page\b.*?/Contents (\d+) 0 R", RegexOptions.Singleline)]
    private static partial Regex ContentsPattern();

    [GeneratedRegex(@"/(?<font>F\d+) [\d.]+ Tf|(?<shown>(?:<[0-9A-Fa-f]*>|\[[^\]]*\])) ?T[jJ]|(?<end>\bET\b)")]
    private static partial Regex OperatorPattern();

    [GeneratedRegex(@"<([0-9A-Fa-f]*)>")]
    private static partial Regex HexPattern();

    [GeneratedRegex(@"beginbfchar(.*?)endbfchar", RegexOptions.Singleline)]
    private static partial Regex BfCharPattern();

    [GeneratedRegex(@"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")]
    private static partial Regex PairPattern();

    [GeneratedRegex(@"beginbfrange(.*?)endbfrange", RegexOptions.Singleline)]
    private static partial Regex BfRangePattern();

    [GeneratedRegex(@"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")]
    private static partial Regex RangePattern();
}

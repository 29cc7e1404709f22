using System.Text;

namespace Mnist.Search.Workers;

/// <summary>
/// Reads lines like <see cref="TextReader.ReadLineAsync()"/>, but refuses one longer than a cap instead of
/// buffering it whole: a worker printing 400 MB without a newline once drove the coordinator to 3 GB (issue 11).
/// </summary>
internal sealed class BoundedLineReader(TextReader reader, int maxChars = BoundedLineReader.MaxLineChars)
{
    /// <summary>1 Mi characters: a protocol line is under 2 KB (the start event with its whole config).</summary>
    public const int MaxLineChars = 1 << 20;

    private readonly char[] _buffer = new char[16 * 1024];
    private int _start, _end;
    private bool _eof;
    private long _chunkReadAt;

    /// <summary>
    /// When (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>) the read that delivered the end of the last line
    /// returned. Lines that came in one read share it: stamping each as its caller gets to it made a starved reader
    /// date the later lines of one write after a prune that was sent before they were read (a flaky IgnoredPruneTests case).
    /// </summary>
    public long LineReadAt { get; private set; }

    /// <summary>
    /// The next line without its terminator, or null at end of stream. Throws <see cref="WorkerOutputException"/>
    /// as soon as a line passes the cap, naming its first characters.
    /// </summary>
    public async Task<string?> ReadLineAsync()
    {
        var line = new StringBuilder();
        while (true)
        {
            if (_start == _end)
            {
                if (_eof)
                {
                    if (line.Length == 0) return null;
                    LineReadAt = _chunkReadAt;
                    return line.ToString();
                }
                _start = 0;
                _end = await reader.ReadAsync(_buffer.AsMemory()).ConfigureAwait(false);
                _chunkReadAt = System.Diagnostics.Stopwatch.GetTimestamp();
                if (_end == 0) _eof = true;
                continue;
            }
            var newline = Array.IndexOf(_buffer, '\n', _start, _end - _start);
            var stop = newline < 0 ? _end : newline;
            line.Append(_buffer, _start, stop - _start);
            _start = newline < 0 ? _end : newline + 1;
            if (line.Length > maxChars)
                throw new WorkerOutputException($"a stdout line is longer than {maxChars} characters (starts with {WorkerText.Sanitize(line.ToString(0, 60), 60)})");
            if (newline >= 0)
            {
                if (line.Length > 0 && line[^1] == '\r') line.Length--;
                LineReadAt = _chunkReadAt;
                return line.ToString();
            }
        }
    }
}

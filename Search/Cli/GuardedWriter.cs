using System.Text;

namespace Mnist.Search.Cli;

/// <summary>
/// A console writer that passes every write through <see cref="Guard"/>, which decides what a failed write becomes
/// (<see cref="StandardOutput"/>: an error naming standard output; <see cref="BestEffortWriter"/>: nothing).
/// </summary>
internal abstract class GuardedWriter(TextWriter inner) : TextWriter
{
    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value) => Guard(() => inner.Write(value));

    public override void Write(string? value) => Guard(() => inner.Write(value));

    public override void Write(char[] buffer, int index, int count) => Guard(() => inner.Write(buffer, index, count));

    public override void WriteLine(string? value) => Guard(() => inner.WriteLine(value));

    public override void Flush() => Guard(inner.Flush);

    protected abstract void Guard(Action write);

    /// <summary>
    /// What a console write throws when it cannot be made: a closed descriptor gives UnauthorizedAccessException ("Access
    /// to the path is denied."), a dead terminal or full disk IOException, a disposed writer ObjectDisposedException.
    /// </summary>
    public static bool IsWriteFailure(Exception e) => e is IOException or UnauthorizedAccessException or ObjectDisposedException;
}

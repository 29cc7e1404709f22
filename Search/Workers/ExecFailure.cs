namespace Mnist.Search.Workers;

/// <summary>
/// The exit codes by which an exec that failed is told from a program that ran (POSIX shells, <c>setsid</c>, <c>env</c>):
/// 127 when the program or its #! interpreter was not found, 126 when it was found but could not be executed.
/// </summary>
public static class ExecFailure
{
    public const int NotExecutable = 126;
    public const int NotFound = 127;

    /// <summary>Whether <paramref name="exitCode"/> is one an exec that failed gives.</summary>
    public static bool Is(int exitCode) => exitCode is NotExecutable or NotFound;

    /// <summary>
    /// Why a script that exists could not be executed, read from its #! line, or null when that line tells nothing:
    /// setsid said "No such file or directory" of a script saved with Windows line endings, which exists (its interpreter
    /// is <c>/bin/sh\r</c>), and first-time users edit their worker scripts on Windows.
    /// </summary>
    public static string? Explain(string program)
    {
        string first;
        try
        {
            // Up to the first \n only: ReadLine would take the \r of "\r\n" for part of the line break.
            using var file = File.OpenRead(program);
            var head = new byte[256];
            var read = file.Read(head);
            var end = Array.IndexOf(head, (byte)'\n', 0, read);
            first = System.Text.Encoding.UTF8.GetString(head, 0, end < 0 ? read : end);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        if (!first.StartsWith("#!", StringComparison.Ordinal)) return null;
        if (first.EndsWith('\r'))
            return "its #! line ends in a carriage return (saved with Windows line endings: convert it with `dos2unix` or `sed -i 's/\\r$//'`)";
        var interpreter = first[2..].Trim().Split(' ', 2)[0];
        return interpreter.Length > 0 && !File.Exists(interpreter) ? $"its #! interpreter {interpreter} is not on this machine" : null;
    }
}

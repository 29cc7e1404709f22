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
}

namespace Mnist.Search.Tests.Support.Faults;

/// <summary>The POSIX signals fault tests send (Linux numbers).</summary>
public enum UnixSignal
{
    Hup = 1,
    Int = 2,
    Kill = 9,
    Term = 15,
    Cont = 18,
    Stop = 19,
}

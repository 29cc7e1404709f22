using System.Globalization;

namespace Mnist.Search.Tests.Support.Workers;

/// <summary>Looks at processes through /proc, for tests that check what was killed.</summary>
public static class ProcessProbe
{
    /// <summary>True while <paramref name="pid"/> exists and is not a zombie (a zombie has already died).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            // Format: "pid (comm) S ..."; comm may contain spaces, so read the state after the last ')'.
            var state = stat[(stat.LastIndexOf(')') + 2)..][0];
            return state != 'Z' && state != 'X';
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for <paramref name="pid"/> to be gone.</summary>
    public static async Task<bool> WaitGoneAsync(int pid, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (!IsAlive(pid)) return true;
            await Task.Delay(50);
        }
        return !IsAlive(pid);
    }
}

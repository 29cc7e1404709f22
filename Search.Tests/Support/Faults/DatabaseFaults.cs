using Mnist.Search.Tests.Support.Storage;

namespace Mnist.Search.Tests.Support.Faults;

/// <summary>Database faults at a named point of a watched process: restart the PostgreSQL server under it.</summary>
public static class DatabaseFaults
{
    /// <summary>
    /// Restarts <paramref name="server"/> (fast shutdown, sessions terminated) as soon as <paramref name="process"/>
    /// prints a line containing <paramref name="text"/>; the returned task ends when the server is back.
    /// </summary>
    public static Task RestartPostgresWhen(PostgresServerFixture server, WatchedProcess process, string text, TimeSpan timeout, TimeSpan? downtime = null)
    {
        if (!server.OwnsServer) throw new InvalidOperationException("this PostgreSQL server cannot be restarted by the tests");
        return process.When(text, () => server.RestartAsync(downtime), timeout);
    }
}

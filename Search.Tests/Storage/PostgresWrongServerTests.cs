using System.Net;
using System.Net.Sockets;
using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;

namespace Mnist.Search.Tests.Storage;

/// <summary>
/// A <c>postgresql://</c> storage URL whose port holds something other than a PostgreSQL server (a mistyped port): the
/// command says so in one line naming the storage, as README's "Refused" asks. Real command line, real local sockets.
/// </summary>
public sealed class PostgresWrongServerTests
{
    [Fact]
    public async Task APortWhereAnotherServiceAnswersIsSaidInOneLineWithoutRetries()
    {
        // Given a local port where a service answers every connection as an HTTP server does
        using var dir = new TempDirectory("pg-not-a-server");
        await using var server = LocalServer.Start(async (stream, ct) =>
        {
            var buffer = new byte[1024];
            _ = await stream.ReadAsync(buffer, ct);
            await stream.WriteAsync("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), ct);
        });

        // When a command is pointed at it
        var url = $"postgresql://u:secret@127.0.0.1:{server.Port}/db";
        var r = await SearchCli.RunAsync(dir.Path, "study", "status", "x", "--storage", url);

        // Then it fails as an unusable storage does (exit 1), in one line naming the storage without its password and
        // saying what the port is not (it was Npgsql's message and a stack trace), without retries
        Assert.True(r.ExitCode == 1, $"exit {r.ExitCode}: {r.Stderr}");
        var line = Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.Equal($"error: storage postgresql://u:***@127.0.0.1:{server.Port}/db: not a PostgreSQL server (Received unknown response H for SSLRequest (expecting S or N))", line);
        // Npgsql connects twice itself (its SSL negotiation, then once more); the three opening tries would make it six
        Assert.InRange(server.Connections, 1, 2);
    }

    [Fact]
    public async Task AServerThatAcceptsTheConnectionAndNeverAnswersIsSaidWithinTheOpeningTries()
    {
        // Given a local port that accepts connections and never answers (a hung server)
        using var dir = new TempDirectory("pg-silent");
        await using var server = LocalServer.Start((_, ct) => Task.Delay(Timeout.Infinite, ct));

        // When a command is pointed at it
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var r = await SearchCli.RunAsync(TimeSpan.FromMinutes(2), dir.Path, "study", "status", "x", "--storage", $"postgresql://u:secret@127.0.0.1:{server.Port}/db");
        clock.Stop();

        // Then it says so in one line after three tries of at most 5 s (README), not three of Npgsql's 15 s (45 s)
        Assert.True(r.ExitCode == 1, $"exit {r.ExitCode}: {r.Stderr}");
        var line = Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.Contains($"storage postgresql://u:***@127.0.0.1:{server.Port}/db: cannot reach the database server", line);
        Assert.Equal(3, server.Connections);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public async Task PgConnectTimeoutSetsHowLongEachOpeningTryWaits()
    {
        // Given the same silent port, and PGCONNECT_TIMEOUT=1 (libpq's variable; a server that wakes on its first
        // connection needs more than the default 5 s, and the URL takes no parameters)
        using var dir = new TempDirectory("pg-silent-timeout");
        await using var server = LocalServer.Start((_, ct) => Task.Delay(Timeout.Infinite, ct));

        // When a command is pointed at it
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var r = await SearchCli.RunAsync(dir.Path, new Dictionary<string, string> { ["PGCONNECT_TIMEOUT"] = "1" },
            "study", "status", "x", "--storage", $"postgresql://u:secret@127.0.0.1:{server.Port}/db");
        clock.Stop();

        // Then its three tries wait a second each (three of the default 5 s take 15). At a one-second limit Npgsql
        // sometimes connects once more within a try (one run in three or four, 2026-12-07: a fourth connection about a
        // second after the third, the error then "Timeout during connection attempt"), so the count may be one over.
        Assert.True(r.ExitCode == 1, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.InRange(server.Connections, 3, 4);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(11), $"took {clock.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>A TCP server on a free loopback port that runs <c>serve</c> for each connection, then closes it.</summary>
    private sealed class LocalServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _accepting;
        private int _connections;

        private LocalServer(Func<NetworkStream, CancellationToken, Task> serve)
        {
            _listener.Start();
            _accepting = AcceptAsync(serve);
        }

        public static LocalServer Start(Func<NetworkStream, CancellationToken, Task> serve) => new(serve);

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Connections => Volatile.Read(ref _connections);

        private async Task AcceptAsync(Func<NetworkStream, CancellationToken, Task> serve)
        {
            var clients = new List<Task>();
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    Interlocked.Increment(ref _connections);
                    clients.Add(Task.Run(async () =>
                    {
                        using (client)
                        {
                            try { await serve(client.GetStream(), _stop.Token); }
                            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException) { }
                        }
                    }));
                }
            }
            catch (OperationCanceledException) { }
            await Task.WhenAll(clients);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _accepting;
            _stop.Dispose();
        }
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Mnist.Search.Tests.Support.Storage;

/// <summary>
/// A PostgreSQL server for tests: <c>MNIST_SEARCH_PG_URL</c> (postgresql://user[:pw]@host:port/db, a user that may
/// CREATE DATABASE) when set — CI's <c>.ci/run</c> starts a throwaway cluster and sets it, plus
/// <c>MNIST_SEARCH_PG_DATA</c> (that cluster's data folder) so the restart tests can restart it with
/// <c>pg_ctl</c> — otherwise a throwaway cluster of its own (initdb into a temp folder, trust auth,
/// 127.0.0.1 on a free port, run as the <c>postgres</c> user when we are root), stopped and deleted on dispose.
/// Share it through <see cref="PostgresCollection"/>; each test class or test takes a fresh database.
/// </summary>
public class PostgresServerFixture : IAsyncLifetime
{
    private readonly bool _mayUseExternalServer;

    public PostgresServerFixture() : this(mayUseExternalServer: true) { }

    protected PostgresServerFixture(bool mayUseExternalServer) => _mayUseExternalServer = mayUseExternalServer;

    public const string UrlVariable = "MNIST_SEARCH_PG_URL";
    public const string DataVariable = "MNIST_SEARCH_PG_DATA";
    private static readonly string BinDir = Environment.GetEnvironmentVariable("MNIST_SEARCH_PG_BIN") ?? "/usr/lib/postgresql/15/bin";
    private string? _clusterDir;
    private string? _externalDataDir;
    private int _databases;

    /// <summary>postgresql://user@127.0.0.1:port/postgres (the maintenance database; use <see cref="CreateDatabaseAsync"/> for tests).</summary>
    public string ConnectionUrl { get; private set; } = "";

    /// <summary>True when <see cref="RestartAsync"/> can restart the server: the fixture's own cluster, or CI's given by <c>MNIST_SEARCH_PG_DATA</c>.</summary>
    public bool OwnsServer => _clusterDir is not null || _externalDataDir is not null;

    private string DataDir => _externalDataDir ?? Path.Combine(_clusterDir!, "data");

    private string LogFile => _externalDataDir is not null ? Path.Combine(_externalDataDir, "restart.log") : Path.Combine(_clusterDir!, "server.log");

    public async Task InitializeAsync()
    {
        var external = _mayUseExternalServer ? Environment.GetEnvironmentVariable(UrlVariable) : null;
        if (!string.IsNullOrWhiteSpace(external))
        {
            ConnectionUrl = external.Trim();
            var data = Environment.GetEnvironmentVariable(DataVariable);
            if (!string.IsNullOrWhiteSpace(data)) _externalDataDir = data.Trim();
            return;
        }
        if (!File.Exists(Path.Combine(BinDir, "initdb")))
            throw new InvalidOperationException(
                $"PostgreSQL server binaries not found in {BinDir}: run `apt-get install postgresql` (or set {UrlVariable} to a server URL)");

        _clusterDir = Directory.CreateTempSubdirectory("mnist-pg-").FullName;
        var port = FreePort();
        await RunAsync("chmod", $"755 {_clusterDir}");
        if (IsRoot) await RunAsync("chown", $"postgres {_clusterDir}");
        await RunPgAsync("initdb", $"-D {DataDir} -A trust -U postgres --no-sync -E UTF8 --locale=C");
        // Settings for a disposable test server: no fsync, local TCP only, socket in our folder.
        await File.AppendAllTextAsync(Path.Combine(DataDir, "postgresql.conf"),
            $"\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{_clusterDir}'\n" +
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n");
        await StartAsync();
        ConnectionUrl = $"postgresql://postgres@127.0.0.1:{port}/postgres";
    }

    /// <summary>Creates an empty database and returns its URL.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"t_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..40];
        var admin = Mnist.Search.Storage.StorageUrl.Parse(ConnectionUrl, "/");
        // Unpooled: a pooled admin connection would be dead after RestartAsync.
        await using (var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(admin.Target) { Pooling = false }.ConnectionString))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", c);
            await cmd.ExecuteNonQueryAsync();
        }
        var b = new NpgsqlConnectionStringBuilder(admin.Target);
        var password = string.IsNullOrEmpty(b.Password) ? "" : ":" + Uri.EscapeDataString(b.Password);
        return $"postgresql://{Uri.EscapeDataString(b.Username!)}{password}@{b.Host}:{b.Port}/{name}";
    }

    /// <summary>
    /// Creates an empty database owned by a new role that must give its password (an hba rule requiring scram-sha-256 for
    /// that role, ahead of the trust rules), and returns its URL with the password, which holds an '@' (escaped). Tests
    /// that must show the password is used: with trust auth a connection succeeds whatever it gives. Own cluster only.
    /// </summary>
    public async Task<(string Url, string Password)> CreatePasswordDatabaseAsync()
    {
        if (_clusterDir is null) throw new InvalidOperationException($"a role with a password needs the fixture's own cluster (pg_hba.conf), not the server given by {UrlVariable}");
        var role = $"pw_{Guid.NewGuid():N}"[..16];
        var password = $"pw@{Guid.NewGuid():N}"[..20];
        var admin = new NpgsqlConnectionStringBuilder(Mnist.Search.Storage.StorageUrl.Parse(ConnectionUrl, "/").Target) { Pooling = false };
        await using (var c = new NpgsqlConnection(admin.ConnectionString))
        {
            await c.OpenAsync();
            foreach (var sql in new[] { $"CREATE ROLE {role} LOGIN PASSWORD '{password}'", $"CREATE DATABASE {role} OWNER {role}" })
            {
                await using var cmd = new NpgsqlCommand(sql, c);
                await cmd.ExecuteNonQueryAsync();
            }
            await HbaLock.WaitAsync();
            try
            {
                // First match wins: the role's rule goes before the trust rules.
                var hba = Path.Combine(DataDir, "pg_hba.conf");
                await File.WriteAllTextAsync(hba, $"host all {role} 127.0.0.1/32 scram-sha-256\n" + await File.ReadAllTextAsync(hba));
                await using var reload = new NpgsqlCommand("SELECT pg_reload_conf()", c);
                await reload.ExecuteNonQueryAsync();
            }
            finally
            {
                HbaLock.Release();
            }
        }
        // The reload is asynchronous: wait until the role is refused without its password, so the rule is in force.
        var bare = new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Username = role, Database = role, Password = null, Timeout = 5 };
        for (var deadline = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(50))
        {
            try
            {
                await using var c = new NpgsqlConnection(bare.ConnectionString);
                await c.OpenAsync();
            }
            catch (NpgsqlException)
            {
                break;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the server at {ConnectionUrl} still lets {role} in without its password");
        }
        return ($"postgresql://{role}:{Uri.EscapeDataString(password)}@{admin.Host}:{admin.Port}/{role}", password);
    }

    private static readonly SemaphoreSlim HbaLock = new(1, 1);

    /// <summary>Restarts the server (fast shutdown: open sessions are terminated with 57P01), as a crash/upgrade would.</summary>
    public async Task RestartAsync(TimeSpan? downtime = null)
    {
        if (!OwnsServer) throw new InvalidOperationException($"cannot restart the external server given by {UrlVariable} without {DataVariable}");
        await RunPgAsync("pg_ctl", $"-D {DataDir} -m fast -w stop");
        if (downtime is { } d) await Task.Delay(d);
        await StartAsync();
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>Returns once the server refuses connections (after <see cref="RestartAsync"/> began its stop).</summary>
    public async Task WaitUntilDownAsync()
    {
        var admin = new NpgsqlConnectionStringBuilder(Mnist.Search.Storage.StorageUrl.Parse(ConnectionUrl, "/").Target) { Pooling = false, Timeout = 2 };
        for (var deadline = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < deadline; await Task.Delay(20))
        {
            try
            {
                await using var c = new NpgsqlConnection(admin.ConnectionString);
                await c.OpenAsync();
            }
            catch (NpgsqlException)
            {
                return;
            }
        }
        throw new TimeoutException($"the server at {ConnectionUrl} did not go down within 30 s of pg_ctl stop");
    }

    public async Task DisposeAsync()
    {
        if (_clusterDir is null) return;
        NpgsqlConnection.ClearAllPools();
        try
        {
            await RunPgAsync("pg_ctl", $"-D {DataDir} -m immediate -w stop");
        }
        finally
        {
            Directory.Delete(_clusterDir, recursive: true);
        }
    }

    private Task StartAsync() => RunPgAsync("pg_ctl", $"-D {DataDir} -l {LogFile} -w -t 60 start");

    private static bool IsRoot => Environment.UserName == "root";

    private static Task RunPgAsync(string tool, string args) =>
        IsRoot ? RunAsync("runuser", $"-u postgres -- {Path.Combine(BinDir, tool)} {args}") : RunAsync(Path.Combine(BinDir, tool), args);

    private static async Task RunAsync(string file, string args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"`{file} {args}` exited with {p.ExitCode}: {await stderr}{await stdout}");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

/// <summary>
/// A throwaway cluster of its own even when <c>MNIST_SEARCH_PG_URL</c> is set. For collections that run in parallel
/// with <see cref="PostgresCollection"/>: its restart tests restart the shared server, and CI once failed when a
/// Slurm test opened a connection during such a restart (57P03 "the database system is shutting down").
/// </summary>
public sealed class PrivatePostgresServerFixture() : PostgresServerFixture(mayUseExternalServer: false);

using Npgsql;
using Switchyard.Storage;

namespace Switchyard.Tests.Storage;

/// <summary>
/// A fresh, migrated store per test: a SQLite file in a temp folder, or a new database on the PostgreSQL server that
/// <c>scripts/test.sh</c> starts (its connection string in <c>SWITCHYARD_TEST_PG</c>). Without that server the
/// PostgreSQL cases fail, saying so: they are never skipped.
/// </summary>
internal sealed class TestStore : IAsyncDisposable
{
    private readonly string? _folder;
    private readonly string? _database;

    private TestStore(StorageOptions options, string? folder, string? database)
    {
        Options = options;
        _folder = folder;
        _database = database;
        Store = Store.Open(options);
    }

    public StorageOptions Options { get; }
    public Store Store { get; }

    public static readonly Xunit.TheoryData<string> Dialects = new() { "sqlite", "postgres" };

    public static string ServerConnection => Environment.GetEnvironmentVariable("SWITCHYARD_TEST_PG") is { Length: > 0 } cs
        ? cs
        : throw new Xunit.Sdk.XunitException("SWITCHYARD_TEST_PG is not set: run the tests with `bash scripts/test.sh`, which starts a throwaway PostgreSQL server.");

    public static async Task<TestStore> CreateAsync(string dialect, bool migrate = true)
    {
        TestStore store;
        if (dialect == "sqlite")
        {
            var folder = Path.Combine(Path.GetTempPath(), $"sy-storetest-{Guid.NewGuid():N}");
            store = new TestStore(StorageOptions.Sqlite(Path.Combine(folder, "data", "switchyard.db")), folder, null);
        }
        else
        {
            var database = $"sy_test_{Guid.NewGuid():N}";
            await using (var admin = new NpgsqlConnection(ServerConnection))
            {
                await admin.OpenAsync();
                await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", admin);
                await create.ExecuteNonQueryAsync();
            }
            var cs = new NpgsqlConnectionStringBuilder(ServerConnection) { Database = database }.ConnectionString;
            var folder = Path.Combine(Path.GetTempPath(), $"sy-storetest-{Guid.NewGuid():N}"); // the spill file's, not the repository's ./data
            store = new TestStore(StorageOptions.Postgres(cs) with { SpillPath = Path.Combine(folder, "request-log.spill.jsonl") }, folder, database);
        }
        if (migrate)
        {
            store.Store.Migrate();
        }
        return store;
    }

    /// <summary>A second store on the same database (a restart).</summary>
    public Store Reopen() => Store.Open(Options);

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        if (_folder is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (Directory.Exists(_folder))
            {
                Directory.Delete(_folder, recursive: true);
            }
        }
        if (_database is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = new NpgsqlConnection(ServerConnection);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
    }
}

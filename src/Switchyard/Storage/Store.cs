using System.Data.Common;
using DbUp;
using DbUp.Builder;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Switchyard.Storage;

/// <summary>
/// The durable store: one <see cref="DbDataSource"/> (pooled connections) for SQLite or PostgreSQL, its schema brought
/// up to date by versioned DbUp scripts at start (<c>Storage/Migrations/{dialect}/NNNN_*.sql</c>, each applied once and
/// recorded in <c>schemaversions</c>). Queries are plain SQL through Dapper that both dialects run as written.
/// </summary>
internal sealed class Store : IAsyncDisposable
{
    private Store(StorageOptions options, DbDataSource source)
    {
        Options = options;
        Source = source;
    }

    public StorageOptions Options { get; }
    public DbDataSource Source { get; }

    public static Store Open(StorageOptions options)
    {
        if (options.Provider == StorageProvider.Postgres)
        {
            return new Store(options, NpgsqlDataSource.Create(options.Connection!));
        }
        var full = System.IO.Path.GetFullPath(options.Path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var builder = new SqliteConnectionStringBuilder { DataSource = full, Pooling = true, DefaultTimeout = 30 };
        return new Store(options, SqliteFactory.Instance.CreateDataSource(builder.ConnectionString));
    }

    public ValueTask<DbConnection> OpenConnectionAsync(CancellationToken ct) => Source.OpenConnectionAsync(ct);

    /// <summary>Applies the scripts this database has not run yet; throws <see cref="StoreException"/> naming the script that failed.</summary>
    public IReadOnlyList<string> Migrate()
    {
        var dialect = Options.Provider == StorageProvider.Postgres ? "postgres" : "sqlite";
        var prefix = $"{typeof(Store).Namespace}.Migrations.{dialect}."; // the resources' names follow the root namespace
        UpgradeEngineBuilder builder;
        if (Options.Provider == StorageProvider.Postgres)
        {
            builder = DeployChanges.To.PostgresqlDatabase(Options.Connection);
        }
        else
        {
            using (var connection = Source.OpenConnection())
            {
                using var wal = connection.CreateCommand();
                wal.CommandText = "PRAGMA journal_mode=WAL;"; // readers never wait for the log writer
                wal.ExecuteNonQuery();
            }
            builder = DeployChanges.To.SqliteDatabase(Source.ConnectionString);
        }
        // N instances starting at once against one PostgreSQL database: one migrates, the others wait for it, then find nothing to do.
        using var migrating = Options.Provider == StorageProvider.Postgres ? Source.OpenConnection() : null;
        if (migrating is not null)
        {
            using var lockCommand = migrating.CreateCommand();
            lockCommand.CommandText = "SELECT pg_advisory_lock(7391504261)"; // this gateway's migration lock (a fixed, arbitrary id)
            lockCommand.CommandTimeout = 300;
            lockCommand.ExecuteNonQuery();
        }
        DbUp.Engine.DatabaseUpgradeResult result;
        try
        {
            result = builder
                .WithScriptsEmbeddedInAssembly(typeof(Store).Assembly, name => name.StartsWith(prefix, StringComparison.Ordinal))
                .WithTransactionPerScript()
                .LogToNowhere()
                .Build()
                .PerformUpgrade();
        }
        finally
        {
            if (migrating is not null)
            {
                using var unlock = migrating.CreateCommand();
                unlock.CommandText = "SELECT pg_advisory_unlock(7391504261)";
                unlock.ExecuteNonQuery();
            }
        }
        if (!result.Successful)
        {
            throw new StoreException($"{Options.Describe()}: migration {result.ErrorScript?.Name[prefix.Length..] ?? "?"} failed: {result.Error?.Message}");
        }
        return [.. result.Scripts.Select(s => s.Name[prefix.Length..])];
    }

    public ValueTask DisposeAsync() => Source.DisposeAsync();

    /// <summary>How a store that is down, locked or missing a table fails (what callers fall back on, never a bug).</summary>
    public static bool IsUnavailable(Exception ex) => ex is System.Data.Common.DbException or IOException or InvalidOperationException or TimeoutException;
}

/// <summary>The store cannot be used: the message says which store and why (never a password).</summary>
internal sealed class StoreException(string message, Exception? inner = null) : Exception(message, inner);

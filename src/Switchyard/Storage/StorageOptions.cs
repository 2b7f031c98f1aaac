namespace Switchyard.Storage;

internal enum StorageProvider { Sqlite, Postgres }

/// <summary>Where durable state lives (<c>storage:</c>): a SQLite file by default, or a PostgreSQL server.</summary>
/// <param name="Path">SQLite: the database file, created with its folder on first start.</param>
/// <param name="Connection">PostgreSQL: an Npgsql connection string.</param>
internal sealed record StorageOptions(StorageProvider Provider, string Path, string? Connection)
{
    public const string DefaultPath = "data/switchyard.db";

    public static readonly StorageOptions Default = Sqlite(DefaultPath);

    public static StorageOptions Sqlite(string path) =>
        new(StorageProvider.Sqlite, path, null) { SpillPath = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path) ?? "", "request-log.spill.jsonl") };

    /// <summary>
    /// PostgreSQL; rows wait in <c>data/request-log.{database}.spill.jsonl</c> (one file per database: gateways of two
    /// databases on one machine never load each other's rows), in cluster mode <c>…{database}.{instance}.spill.jsonl</c>.
    /// </summary>
    public static StorageOptions Postgres(string connection, string? instance = null) => new(StorageProvider.Postgres, "", connection)
    {
        SpillPath = $"data/request-log.{SafeName(new Npgsql.NpgsqlConnectionStringBuilder(connection).Database ?? "postgres")}{(instance is null ? "" : "." + SafeName(instance))}.spill.jsonl",
    };

    private static string SafeName(string name) => string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_'));

    public const int DefaultRetentionDays = 30;

    /// <summary>Request-log rows older than this many days are deleted (hourly).</summary>
    public int LogRetentionDays { get; init; } = DefaultRetentionDays;

    /// <summary>Where request-log rows wait while the store cannot take them (beside the SQLite file, else under ./data, named by database).</summary>
    public string SpillPath { get; init; } = "";

    /// <summary>For messages and /health: the file, or the server and database (never the password).</summary>
    public string Describe()
    {
        if (Provider == StorageProvider.Sqlite)
        {
            return $"sqlite {Path}";
        }
        var b = new Npgsql.NpgsqlConnectionStringBuilder(Connection);
        return $"postgres {b.Host}:{b.Port}/{b.Database}";
    }
}

using Dapper;
using Switchyard.Config;
using Switchyard.Storage;
using Xunit;

namespace Switchyard.Tests.Storage;

/// <summary>The same storage suite on a real SQLite file and a real PostgreSQL server.</summary>
public sealed class StoreTests
{
    public static Xunit.TheoryData<string> Dialects => TestStore.Dialects;

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task Migrations_apply_in_order_once_and_a_restart_applies_none(string dialect)
    {
        await using var db = await TestStore.CreateAsync(dialect, migrate: false);
        Assert.Equal(["0001_tenants_and_virtual_keys.sql", "0002_request_log.sql", "0003_usage_and_cost.sql", "0004_usage_rollups.sql", "0005_body_capture.sql", "0006_upstream_key_stats.sql", "0007_config_overlay.sql", "0008_audit_log.sql", "0009_responses.sql", "0010_latency_histograms.sql"], db.Store.Migrate());
        await using var again = db.Reopen();
        Assert.Empty(again.Migrate());
        await using var c = await again.OpenConnectionAsync(default);
        Assert.Equal(10, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM schemaversions"));
    }

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task A_virtual_key_is_found_by_its_hash_listed_by_tenant_and_revoked_once(string dialect)
    {
        await using var db = await TestStore.CreateAsync(dialect);
        var records = new TenancyRecords(db.Store);
        var key = new VirtualKeyRecord("vk_1", "team-a", "ci", "sk-sy-AbCdEf", new string('a', 64), "{}", 1_700_000_000_000, null, null);
        await records.InsertKeyAsync(key, default);
        await records.InsertKeyAsync(key with { Id = "vk_2", Name = null, Hash = new string('b', 64), ExpiresAt = 1_700_000_100_000 }, default);

        Assert.Equal(key, await records.FindKeyByHashAsync(new string('a', 64), default));
        Assert.Null(await records.FindKeyByHashAsync(new string('c', 64), default));
        Assert.Equal(["vk_1", "vk_2"], (await records.ListKeysAsync("team-a", default)).Select(k => k.Id));
        Assert.Empty(await records.ListKeysAsync("team-b", default));
        Assert.Equal(2, await records.CountActiveKeysAsync(1_700_000_050_000, default));
        Assert.Equal(1, await records.CountActiveKeysAsync(1_700_000_200_000, default)); // vk_2 expired

        Assert.True(await records.RevokeKeyAsync("vk_1", 1_700_000_060_000, default));
        Assert.False(await records.RevokeKeyAsync("vk_1", 1_700_000_070_000, default)); // once
        Assert.False(await records.RevokeKeyAsync("vk_404", 1_700_000_070_000, default));
        Assert.Equal(1_700_000_060_000, (await records.FindKeyAsync("vk_1", default))!.RevokedAt);
        Assert.Equal(1, await records.CountActiveKeysAsync(1_700_000_050_000, default));

        // The hash is unique: the same key cannot be stored twice.
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => records.InsertKeyAsync(key with { Id = "vk_3" }, default));
    }

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task A_tenant_is_inserted_once_and_listed(string dialect)
    {
        await using var db = await TestStore.CreateAsync(dialect);
        var records = new TenancyRecords(db.Store);
        var tenant = new TenantRecord("team-b", """["gpt-*"]""", """{"rpm":60}""", """{"tpm":1000}""", 1, 1, 1);
        Assert.True(await records.InsertTenantAsync(tenant, default));
        Assert.False(await records.InsertTenantAsync(tenant with { Models = "[]" }, default));
        Assert.Equal([tenant], await records.ListTenantsAsync(default));
    }

    [Fact]
    public async Task The_SQLite_file_is_created_with_its_folder_and_runs_in_WAL_mode()
    {
        await using var db = await TestStore.CreateAsync("sqlite");
        Assert.True(File.Exists(db.Options.Path));
        await using var c = await db.Store.OpenConnectionAsync(default);
        Assert.Equal("wal", await c.ExecuteScalarAsync<string>("PRAGMA journal_mode"));
    }

    [Fact]
    public void An_unreachable_PostgreSQL_is_a_clear_error_without_the_password()
    {
        var options = StorageOptions.Postgres("Host=127.0.0.1;Port=1;Username=sy;Password=hunter2-secret;Database=sy;Timeout=2");
        var config = ConfigLoader.Parse("providers: [{name: m, type: mock}]", "s.yaml") with { Storage = options };
        var error = Assert.Throws<StoreException>(() => GatewayHost.Build(config, [], "http://127.0.0.1:0"));
        Assert.StartsWith("postgres 127.0.0.1:1/sy: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_storage_section_is_read_and_checked()
    {
        Assert.Equal(StorageOptions.Sqlite("data/switchyard.db"), ConfigLoader.Parse("providers: [{name: m, type: mock}]", "s.yaml").Storage);
        Assert.Equal(StorageOptions.Sqlite("/var/lib/sy.db"), ConfigLoader.Parse("storage: {path: /var/lib/sy.db}\nproviders: [{name: m, type: mock}]", "s.yaml").Storage);
        Assert.Equal(7, ConfigLoader.Parse("storage: {log_retention_days: 7}\nproviders: [{name: m, type: mock}]", "s.yaml").Storage.LogRetentionDays);
        Assert.Equal(30, ConfigLoader.Parse("providers: [{name: m, type: mock}]", "s.yaml").Storage.LogRetentionDays);
        var pg = ConfigLoader.Parse("storage: {provider: postgres, connection: \"${PG:-Host=db;Database=sy}\"}\nproviders: [{name: m, type: mock}]", "s.yaml", _ => null).Storage;
        Assert.Equal(StorageProvider.Postgres, pg.Provider);
        Assert.Equal("postgres db:5432/sy", pg.Describe());
        Assert.Contains("s.yaml:1:10: storage.connection: 'connection' is required for postgres",
            Assert.Throws<ConfigException>(() => ConfigLoader.Parse("storage: {provider: postgres}\nproviders: [{name: m, type: mock}]", "s.yaml")).Message, StringComparison.Ordinal);
        Assert.Contains("storage.provider: 'mysql' is not a store",
            Assert.Throws<ConfigException>(() => ConfigLoader.Parse("storage: {provider: mysql}\nproviders: [{name: m, type: mock}]", "s.yaml")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_PostgreSQL_database_has_its_own_spill_file_so_two_gateways_on_one_machine_never_load_each_others_rows()
    {
        Assert.Equal("data/request-log.switchyard.spill.jsonl", StorageOptions.Postgres("Host=127.0.0.1;Database=switchyard").SpillPath);
        Assert.Equal("data/request-log.team_b_.spill.jsonl", StorageOptions.Postgres("Host=127.0.0.1;Database=\"team/b.\"").SpillPath);
        Assert.Equal(Path.Combine("var", "sy", "request-log.spill.jsonl"), StorageOptions.Sqlite(Path.Combine("var", "sy", "switchyard.db")).SpillPath);
    }
}

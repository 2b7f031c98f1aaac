namespace Switchyard.Storage;

internal static class StorageFeature
{
    /// <summary>The store of <c>storage:</c> (read at start), opened lazily by the first service that needs it.</summary>
    public static IServiceCollection AddStorage(this IServiceCollection services, StorageOptions options)
    {
        services.AddSingleton(_ => Store.Open(options));
        services.AddSingleton<TenancyRecords>();
        services.AddSingleton<ConfigRecords>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton(_ => CredentialVault.FromEnvironment());
        services.AddSingleton<UsageQueries>();
        services.AddSingleton<StoredRequestLog>();
        services.AddSingleton<Observability.IRequestLogSink>(sp => sp.GetRequiredService<StoredRequestLog>());
        services.AddHostedService(sp => sp.GetRequiredService<StoredRequestLog>());
        services.AddSingleton<KeyStatsPersistence>();
        services.AddHostedService(sp => sp.GetRequiredService<KeyStatsPersistence>());
        return services;
    }

    /// <summary>
    /// Before the gateway listens: brings the schema up to date and applies the store's config overlay. A store it cannot
    /// use (or credentials it cannot open: no or another master key) stops the start, saying why.
    /// </summary>
    public static WebApplication MigrateStore(this WebApplication app)
    {
        var store = app.Services.GetRequiredService<Store>();
        try
        {
            store.Migrate();
            // The overlay first: the key statistics belong to the keys in force, the store's among them.
            app.Services.GetRequiredService<Config.ConfigChanges>().LoadAsync(CancellationToken.None).GetAwaiter().GetResult();
            app.Services.GetRequiredService<KeyStatsPersistence>().Load();
        }
        catch (Exception ex) when (ex is not StoreException)
        {
            throw new StoreException($"{store.Options.Describe()}: {ex.Message}", ex);
        }
        return app;
    }
}

namespace Switchyard.Storage;

internal static class StorageFeature
{
    /// <summary>The store of <c>storage:</c> (read at start), opened lazily by the first service that needs it.</summary>
    public static IServiceCollection AddStorage(this IServiceCollection services, StorageOptions options)
    {
        services.AddSingleton(_ => Store.Open(options));
        services.AddSingleton<TenancyRecords>();
        services.AddSingleton<UsageQueries>();
        services.AddSingleton<StoredRequestLog>();
        services.AddSingleton<Observability.IRequestLogSink>(sp => sp.GetRequiredService<StoredRequestLog>());
        services.AddHostedService(sp => sp.GetRequiredService<StoredRequestLog>());
        services.AddSingleton<KeyStatsPersistence>();
        services.AddHostedService(sp => sp.GetRequiredService<KeyStatsPersistence>());
        return services;
    }

    /// <summary>Brings the schema up to date before the gateway listens: a store it cannot use stops the start, saying why.</summary>
    public static WebApplication MigrateStore(this WebApplication app)
    {
        var store = app.Services.GetRequiredService<Store>();
        try
        {
            store.Migrate();
            app.Services.GetRequiredService<KeyStatsPersistence>().Load();
        }
        catch (Exception ex) when (ex is not StoreException)
        {
            throw new StoreException($"{store.Options.Describe()}: {ex.Message}", ex);
        }
        return app;
    }
}

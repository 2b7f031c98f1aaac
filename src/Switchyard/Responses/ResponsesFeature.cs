namespace Switchyard.Responses;

internal static class ResponsesFeature
{
    public static IServiceCollection AddResponses(this IServiceCollection services)
    {
        services.AddSingleton<ResponseStore>();
        services.AddHostedService(sp => sp.GetRequiredService<ResponseStore>());
        return services;
    }
}

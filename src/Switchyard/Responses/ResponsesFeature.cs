namespace Switchyard.Responses;

internal static class ResponsesFeature
{
    public static IServiceCollection AddResponses(this IServiceCollection services)
    {
        services.AddSingleton<ResponseStore>();
        return services;
    }
}

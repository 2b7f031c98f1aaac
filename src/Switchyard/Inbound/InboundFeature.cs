namespace Switchyard.Inbound;

internal static class InboundFeature
{
    public static IServiceCollection AddInbound(this IServiceCollection services)
    {
        services.AddSingleton<InboundPrologue>();
        services.AddSingleton<ChatHandler>();
        return services;
    }

    /// <summary>Every client protocol's endpoints: chat, token counts, model lists, health and the protocol-shaped fallback.</summary>
    public static IEndpointRouteBuilder MapInbound(this IEndpointRouteBuilder app)
    {
        app.MapChatApi();
        app.MapModelApi();
        app.MapHealthApi();
        return app;
    }
}

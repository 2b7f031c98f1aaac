using Switchyard.Config;
using Switchyard.Inbound;
using Switchyard.Protocols.Canonical;
using Switchyard.Tenancy;

namespace Switchyard.Admin;

/// <summary>The one check in front of every admin endpoint: the admin key when configured, else loopback callers only.</summary>
internal sealed class AdminGuard(ConfigHolder config) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        Refusal(context.HttpContext, config.Current) is { } refused ? ValueTask.FromResult<object?>(refused) : next(context);

    /// <summary>For endpoints that are not route handlers (the metrics scrape).</summary>
    public static Task RunAsync(HttpContext http, ConfigHolder config, Func<Task> next) =>
        Refusal(http, config.Current) is { } refused ? refused.ExecuteAsync(http) : next();

    private static AdminError? Refusal(HttpContext http, GatewaySnapshot snapshot)
    {
        if (GatewayAuth.IsAdmin(http, snapshot.Config.Auth))
        {
            return null;
        }
        return new AdminError(snapshot.Config.Auth.AdminKey is null
            ? new GatewayError(ErrorKind.Permission, "Admin endpoints answer loopback callers only when no auth.admin_key is configured.")
            : new GatewayError(ErrorKind.Authentication, "Invalid or missing admin key."));
    }
}

/// <summary>An admin error in OpenAI's error shape (the admin API's one shape), secrets masked.</summary>
internal sealed class AdminError(GatewayError error) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext) =>
        ClientWriter.WriteErrorAsync(httpContext, ClientProtocol.OpenAI, error, "req_admin", httpContext.RequestServices.GetRequiredService<ConfigHolder>().Current.Secrets);
}

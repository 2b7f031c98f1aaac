using Switchyard.Config;
using Switchyard.Dispatch;
using Switchyard.Inbound;
using Switchyard.Protocols.Canonical;
using Switchyard.Tenancy;

namespace Switchyard.Admin;

/// <summary>The one check in front of every admin endpoint: the admin key when configured, else loopback callers only.</summary>
internal static class AdminGuard
{
    public static Task RunAsync(HttpContext http, ConfigHolder config, Func<Task> next)
    {
        var snapshot = config.Current;
        if (GatewayAuth.IsAdmin(http, snapshot.Config.Auth))
        {
            return next();
        }
        var error = snapshot.Config.Auth.AdminKey is null
            ? new GatewayError(ErrorKind.Permission, "Admin endpoints answer loopback callers only when no auth.admin_key is configured.")
            : new GatewayError(ErrorKind.Authentication, "Invalid or missing admin key.");
        return ClientWriter.WriteErrorAsync(http, ClientProtocol.OpenAI, error, "req_admin", snapshot.Secrets);
    }
}

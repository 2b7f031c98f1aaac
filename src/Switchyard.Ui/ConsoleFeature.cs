using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Switchyard.Ui.Backend;

namespace Switchyard.Ui;

/// <summary>
/// The web console at <c>/ui</c>: Blazor with interactive server rendering and MudBlazor, every asset served by the
/// gateway. A login (admin key or admin / tenant-admin JWT, checked by the host's <see cref="IConsoleBackend"/>)
/// becomes a session cookie (HttpOnly, SameSite=Strict, Secure over HTTPS); forms carry antiforgery tokens, and
/// interactive changes travel on the circuit that only that cookie opens. The console's middleware runs for its own
/// paths only: the gateway's other endpoints never pay for it.
/// </summary>
public static class ConsoleFeature
{
    public const string Scheme = "switchyard-console", BasePath = "/ui", LoginPath = "/ui/login", LogoutPath = "/ui/logout";
    public const string TenantClaim = "switchyard:tenant", ActorClaim = "switchyard:actor";

    public static IServiceCollection AddConsole(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.AddCascadingAuthenticationState();
        services.AddAuthorization();
        services.AddAuthentication(Scheme).AddCookie(Scheme, o =>
        {
            o.Cookie.Name = "switchyard_console";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Cookie.Path = "/";
            o.LoginPath = LoginPath;
            o.LogoutPath = LogoutPath;
            o.ExpireTimeSpan = TimeSpan.FromHours(8);
            o.SlidingExpiration = true;
        });
        return services;
    }

    public static WebApplication MapConsole(this WebApplication app)
    {
        app.UseWhen(http => IsConsolePath(http.Request.Path), console =>
        {
            console.UseAuthentication();
            console.UseAuthorization();
            console.UseAntiforgery();
            // The host adds these three to the whole pipeline unless its own properties say they are placed, and a
            // branch's properties are a copy: hand back the marks the branch set, or every /v1 request runs them.
            var host = ((IApplicationBuilder)app).Properties;
            foreach (var (key, value) in console.Properties)
            {
                host.TryAdd(key, value);
            }
        });
        app.MapStaticAssets();
        app.MapRazorComponents<Components.App>().AddInteractiveServerRenderMode();
        app.MapPost(LogoutPath, async (HttpContext http) =>
        {
            // The middleware only marks a forged post; a handler that binds no form has to refuse it itself.
            if (http.Features.Get<IAntiforgeryValidationFeature>() is { IsValid: false })
            {
                return Results.BadRequest();
            }
            await http.SignOutAsync(Scheme).ConfigureAwait(false);
            return Results.Redirect(LoginPath);
        }).WithMetadata(new RequireAntiforgeryTokenAttribute());
        return app;
    }

    private static bool IsConsolePath(PathString path) =>
        path.StartsWithSegments(BasePath) || path.StartsWithSegments("/_blazor") || path.StartsWithSegments("/_framework") || path.StartsWithSegments("/_content");

    /// <summary>The cookie's identity for a console user.</summary>
    public static ClaimsPrincipal Principal(ConsoleUser user)
    {
        List<Claim> claims = [new(ClaimTypes.Name, user.Actor), new(ActorClaim, user.Actor)];
        if (user.Tenant is { } tenant)
        {
            claims.Add(new Claim(TenantClaim, tenant));
        }
        return new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme));
    }

    /// <summary>The console user a signed-in principal stands for (null when not signed in).</summary>
    public static ConsoleUser? UserOf(ClaimsPrincipal principal) =>
        principal.Identity?.IsAuthenticated == true && principal.FindFirst(ActorClaim) is { } actor
            ? new ConsoleUser(actor.Value, principal.FindFirst(TenantClaim)?.Value)
            : null;
}

using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Switchyard.Config;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.WebConsole;

/// <summary>
/// The console's authentication, authorization and antiforgery run for its own paths only. A request-handling
/// authentication scheme sees every request the authentication middleware runs for; the gateway's API paths must not
/// be among them, the console's must, and the console must still refuse what it refused.
/// </summary>
public sealed class ConsolePipelineTests
{
    [Fact]
    public async Task The_console_middleware_runs_for_console_paths_and_not_for_the_api()
    {
        var seen = new SeenPaths();
        await using var gw = await Gateway.StartAsync(ConfigLoader.Parse(Gateway.AnyModelToMock, "test.yaml"), services: services =>
        {
            services.AddSingleton(seen);
            services.Configure<AuthenticationOptions>(o => o.AddScheme("probe", scheme => scheme.HandlerType = typeof(PathProbe)));
        });

        using (var chat = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"Hi"}]}"""))
        {
            Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        }
        using (var models = await gw.Client.GetAsync("/v1/models"))
        {
            Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        }
        Assert.Empty(seen.Paths);

        using (var login = await gw.Client.GetAsync("/ui/login"))
        {
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        }
        Assert.Equal(["/ui/login"], seen.Paths);

        // Authorization still guards the console: a page without the session cookie sends the browser to the login.
        using var noRedirects = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(gw.Url) };
        using (var page = await noRedirects.GetAsync("/ui"))
        {
            Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
            Assert.Contains("/ui/login", page.Headers.Location!.ToString(), StringComparison.Ordinal);
        }
        // Antiforgery still guards its forms: a logout posted without the token is refused, not run (and not a 500).
        using (var logout = await noRedirects.PostAsync("/ui/logout", new StringContent("", Encoding.UTF8, "application/x-www-form-urlencoded")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, logout.StatusCode);
        }
    }

    internal sealed class SeenPaths
    {
        private readonly ConcurrentQueue<string> _paths = new();
        public IReadOnlyList<string> Paths => [.. _paths];
        public void Add(string path) => _paths.Enqueue(path);
    }

    /// <summary>Authenticates nobody; notes the path of each request the authentication middleware offers it.</summary>
    internal sealed class PathProbe(SeenPaths seen) : IAuthenticationRequestHandler
    {
        private HttpContext? _http;

        public Task InitializeAsync(AuthenticationScheme scheme, HttpContext context)
        {
            _http = context;
            return Task.CompletedTask;
        }

        public Task<bool> HandleRequestAsync()
        {
            seen.Add(_http!.Request.Path.Value ?? "");
            return Task.FromResult(false);
        }

        public Task<AuthenticateResult> AuthenticateAsync() => Task.FromResult(AuthenticateResult.NoResult());
        public Task ChallengeAsync(AuthenticationProperties? properties) => Task.CompletedTask;
        public Task ForbidAsync(AuthenticationProperties? properties) => Task.CompletedTask;
    }
}

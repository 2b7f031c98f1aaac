using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Switchyard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchyard.Tests.E2E;

/// <summary>
/// The sample nginx config of docs/scaling.md (<c>deploy/nginx/switchyard.conf</c>, as shipped, ports rewritten to
/// loopback ones) in front of three gateways, in a real nginx: streams pass unbuffered, requests spread over the
/// instances, the client's forwarded address is what the gateways see, and a stopped instance costs no request.
/// </summary>
public sealed class NginxTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_sample_nginx_config_streams_unbuffered_spreads_requests_forwards_the_client_and_survives_a_stopped_instance()
    {
        var sample = Path.Combine(ReadmeDemoTests.RepositoryRoot(), "deploy", "nginx", "switchyard.conf");
        var doc = await File.ReadAllTextAsync(Path.Combine(ReadmeDemoTests.RepositoryRoot(), "docs", "scaling.md"));
        Assert.Contains((await File.ReadAllTextAsync(sample)).Trim(), doc, StringComparison.Ordinal); // the page shows the tested file

        var firstEventSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var upstreams = new List<FakeUpstream>();
        var gateways = new List<Gateway>();
        for (var i = 0; i < 3; i++)
        {
            var upstream = await FakeUpstream.StartAsync(async (ctx, req) =>
            {
                if (req.Json["stream"]?.GetValue<bool>() != true)
                {
                    await FakeUpstream.Json(Wire.OpenAI.TextResponse)(ctx, req);
                    return;
                }
                var events = Wire.OpenAI.TextStream.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
                ctx.Response.ContentType = "text/event-stream";
                await ctx.Response.WriteAsync(events[0] + "\n\n" + events[1] + "\n\n", ctx.RequestAborted);
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                // The rest only once the client has the first events: a buffering proxy would hold them back until the end.
                await firstEventSeen.Task.WaitAsync(TimeSpan.FromSeconds(20), ctx.RequestAborted);
                await ctx.Response.WriteAsync(string.Join("", events.Skip(2).Select(e => e + "\n\n")), ctx.RequestAborted);
            });
            upstreams.Add(upstream);
            gateways.Add(await Gateway.StartAsync($$"""
                server: {trusted_proxies: [127.0.0.1/32]}
                providers: [{name: up, type: openai, base_url: "{{upstream.Url}}/v1", keys: [sk-upstream-{{i}}]}]
                routes: [{model: "*", targets: [{provider: up}]}]
                """));
        }
        var dir = Directory.CreateTempSubdirectory("sy-nginx").FullName;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(dir, (UnixFileMode)0b111_111_111); // nginx's workers run as nobody
        }
        var port = LoopbackPort.Free();
        var conf = (await File.ReadAllTextAsync(sample)).Replace("listen 127.0.0.1:8080", $"listen 127.0.0.1:{port}", StringComparison.Ordinal);
        for (var i = 0; i < 3; i++)
        {
            conf = conf.Replace($"127.0.0.1:808{i + 1}", new Uri(gateways[i].Url).Authority, StringComparison.Ordinal);
        }
        await File.WriteAllTextAsync(Path.Combine(dir, "switchyard.conf"), conf);
        await File.WriteAllTextAsync(Path.Combine(dir, "nginx.conf"), $$"""
            daemon off;
            worker_processes 1;
            pid {{dir}}/nginx.pid;
            error_log {{dir}}/error.log warn;
            events { worker_connections 256; }
            http {
                access_log off;
                client_body_temp_path {{dir}}/body;
                proxy_temp_path {{dir}}/proxy;
                fastcgi_temp_path {{dir}}/fastcgi;
                uwsgi_temp_path {{dir}}/uwsgi;
                scgi_temp_path {{dir}}/scgi;
                include {{dir}}/switchyard.conf;
            }
            """);
        var nginxBinary = File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx"
            : throw new Xunit.Sdk.XunitException("nginx is not installed: run the tests with `bash scripts/test.sh` (it installs Debian's nginx).");
        var psi = new ProcessStartInfo(nginxBinary) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-p", dir, "-c", Path.Combine(dir, "nginx.conf"), "-e", Path.Combine(dir, "error.log") })
        {
            psi.ArgumentList.Add(a);
        }
        using var nginx = Process.Start(psi)!;
        var nginxOut = nginx.StandardError.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            await WaitListeningAsync(port, nginx, dir);

            // A stream arrives event by event: the first events reach the client before the upstream sends the rest.
            using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Json("""{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}""") })
            using (var resp = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
            {
                Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
                var body = await resp.Content.ReadAsStreamAsync();
                var seen = new StringBuilder();
                var buffer = new byte[4096];
                using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
                {
                    while (!seen.ToString().Contains("\"role\"", StringComparison.Ordinal))
                    {
                        var n = await body.ReadAsync(buffer, wait.Token);
                        Assert.True(n > 0, "the stream ended before its first event");
                        seen.Append(Encoding.UTF8.GetString(buffer, 0, n));
                    }
                }
                firstEventSeen.SetResult();
                seen.Append(await new StreamReader(body).ReadToEndAsync());
                Assert.Contains("data: [DONE]", seen.ToString(), StringComparison.Ordinal);
            }

            // Requests spread over the three instances.
            for (var i = 0; i < 30; i++)
            {
                using var resp = await http.PostAsync("/v1/chat/completions", Json("""{"model":"m","messages":[{"role":"user","content":"hi"}]}"""));
                Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
            }
            output.WriteLine($"requests per instance: {string.Join(", ", upstreams.Select(u => u.Requests.Count))}");
            Assert.All(upstreams, u => Assert.True(u.Requests.Count >= 5, $"an instance served {u.Requests.Count} of 31"));

            // The gateways see the client nginx forwards, not nginx: a caller claiming a remote address is not a local one.
            using (var local = await http.GetAsync("/providers"))
            {
                Assert.Equal(HttpStatusCode.OK, local.StatusCode);
            }
            using (var forwarded = new HttpRequestMessage(HttpMethod.Get, "/providers"))
            {
                forwarded.Headers.Add("X-Forwarded-For", "203.0.113.9");
                using var remote = await http.SendAsync(forwarded);
                Assert.True(remote.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, $"a remote caller got {remote.StatusCode} from the admin API");
            }

            // One instance stops: nginx takes its refused connections to the others, and no request fails.
            await gateways[1].DisposeAsync();
            gateways.RemoveAt(1);
            for (var i = 0; i < 20; i++)
            {
                using var resp = await http.PostAsync("/v1/chat/completions", Json("""{"model":"m","messages":[{"role":"user","content":"hi"}]}"""));
                Assert.True(resp.StatusCode == HttpStatusCode.OK, $"request {i} after an instance stopped: {(int)resp.StatusCode}");
            }
        }
        finally
        {
            if (!nginx.HasExited)
            {
                nginx.Kill(entireProcessTree: true);
                await nginx.WaitForExitAsync();
            }
            output.WriteLine(await nginxOut);
            foreach (var g in gateways)
            {
                await g.DisposeAsync();
            }
            foreach (var u in upstreams)
            {
                await u.DisposeAsync();
            }
            Directory.Delete(dir, recursive: true);
        }
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task WaitListeningAsync(int port, Process nginx, string dir)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (nginx.HasExited)
            {
                throw new Xunit.Sdk.XunitException($"nginx exited: {File.ReadAllText(Path.Combine(dir, "error.log"))}");
            }
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        throw new Xunit.Sdk.XunitException("nginx did not listen");
    }
}

using System.Text.Json.Nodes;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Observability;

public sealed class RequestLogTests
{
    [Fact]
    public async Task One_JSON_line_per_request_with_route_trail_and_tokens_and_no_secrets()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sy-log-{Guid.NewGuid():N}", "requests.jsonl");
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.OpenAI.TextResponse));
        var gw = await Gateway.StartAsync($$"""
            server:
              request_log: {{path}}
            auth:
              keys: [sk-sy-gateway-secret-1234]
            providers:
              - {name: oa, type: openai, base_url: "{{fake.Url}}/v1", keys: [sk-upstream-secret-5678]}
            routes:
              - {model: m, targets: [{provider: oa}]}
            """);
        await using (gw)
        {
            for (var i = 0; i < 5; i++)
            {
                using var resp = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"Hi"}]}""", ("authorization", "Bearer sk-sy-gateway-secret-1234"));
                Assert.Equal(System.Net.HttpStatusCode.OK, resp.StatusCode);
            }
            using var rejected = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"Hi"}]}""", ("authorization", "Bearer wrong"));
        }
        var text = await File.ReadAllTextAsync(path);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(6, lines.Count); // one per request, the refused one too
        Assert.Equal(401, lines[5]["status"]!.GetValue<int>());
        Assert.Equal("Invalid or missing gateway API key.", lines[5]["error"]!.GetValue<string>());
        Assert.Null(lines[5]["tenant"]);
        var first = lines[0];
        Assert.Equal("default", first["tenant"]!.GetValue<string>());
        Assert.Equal("openai", first["protocol"]!.GetValue<string>());
        Assert.Equal("m", first["model"]!.GetValue<string>());
        Assert.Equal(200, first["status"]!.GetValue<int>());
        Assert.Equal(1, first["attempts"]!.GetValue<int>());
        Assert.Equal("route exact (failover)", first["trail"]![0]!.GetValue<string>());
        Assert.Equal("m", first["route"]!.GetValue<string>());
        Assert.Equal("oa", first["provider"]!.GetValue<string>());
        Assert.Equal("m", first["upstream_model"]!.GetValue<string>());
        Assert.Equal("sk-u…5678", first["key"]!.GetValue<string>());
        Assert.True(first["ttfb_ms"]!.GetValue<double>() > 0);
        Assert.Null(first["body"]); // bodies only when asked for
        Assert.StartsWith("oa/", first["trail"]![1]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(19, first["input_tokens"]!.GetValue<int>());
        Assert.True(first["latency_ms"]!.GetValue<double>() > 0);
        Assert.DoesNotContain("sk-upstream-secret-5678", text, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-sy-gateway-secret-1234", text, StringComparison.Ordinal);
        Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
    }

    [Fact]
    public async Task Lifecycle_events_bodies_on_request_and_rotation_by_size()
    {
        var dir = Directory.CreateTempSubdirectory("sy-log2").FullName;
        var path = Path.Combine(dir, "gw.jsonl");
        var configPath = Path.Combine(dir, "switchyard.yaml");
        await using var fake = await FakeUpstream.StartAsync((ctx, req) => req.Header("authorization") == "Bearer sk-revoked-secret-0001"
            ? FakeUpstream.Json("""{"error":{"message":"bad key sk-revoked-secret-0001","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}""", 401)(ctx, req)
            : FakeUpstream.Json(Wire.OpenAI.TextResponse)(ctx, req));
        await File.WriteAllTextAsync(configPath, $$"""
            server:
              request_log: {{path}}
              request_log_max_size: 4KB
              log_bodies: true
            auth:
              keys: [sk-sy-gateway-secret-1234]
            providers:
              - {name: oa, type: openai, base_url: "{{fake.Url}}/v1", keys: [sk-revoked-secret-0001, sk-working-secret-0002]}
            routes:
              - {model: m, targets: [{provider: oa}]}
            """);
        var gw = await Gateway.StartFromFileAsync(configPath);
        await using (gw)
        {
            for (var i = 0; i < 30; i++)
            {
                // The body mentions a secret on purpose: it must be masked in the log.
                using var resp = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"my key is sk-working-secret-0002"}]}""", ("authorization", "Bearer sk-sy-gateway-secret-1234"));
                Assert.Equal(System.Net.HttpStatusCode.OK, resp.StatusCode);
                await Task.Delay(5);
            }
            using var reload = await gw.Client.PostAsync("/providers/reload", null);
        }
        var files = Directory.GetFiles(dir, "gw*.jsonl");
        Assert.True(files.Length >= 2, "the log rotated past 4 KB");
        Assert.All(files, f => Assert.True(new FileInfo(f).Length <= 8 * 1024));
        var text = string.Concat(files.Select(File.ReadAllText));
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(30, lines.Count(l => l["request_id"] is not null));
        Assert.Contains(lines, l => l["event"]?.GetValue<string>() == "key_disabled" && l["message"]!.GetValue<string>().Contains("sk-r…0001", StringComparison.Ordinal));
        Assert.Contains(lines, l => l["event"]?.GetValue<string>() == "reload");
        Assert.Contains(lines, l => l["body"]?.GetValue<string>().Contains("sk-w…0002", StringComparison.Ordinal) == true);
        foreach (var secret in new[] { "sk-revoked-secret-0001", "sk-working-secret-0002", "sk-sy-gateway-secret-1234" })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
        Directory.Delete(dir, recursive: true);
    }
}

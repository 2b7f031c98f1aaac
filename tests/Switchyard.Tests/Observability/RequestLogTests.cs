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
        Assert.Equal(5, lines.Count); // one per proxied request (the refused one has no dispatch to log)
        var first = lines[0];
        Assert.Equal("openai", first["protocol"]!.GetValue<string>());
        Assert.Equal("m", first["model"]!.GetValue<string>());
        Assert.Equal(200, first["status"]!.GetValue<int>());
        Assert.Equal(1, first["attempts"]!.GetValue<int>());
        Assert.Equal("route exact (failover)", first["trail"]![0]!.GetValue<string>());
        Assert.StartsWith("oa/", first["trail"]![1]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(19, first["input_tokens"]!.GetValue<int>());
        Assert.True(first["latency_ms"]!.GetValue<double>() > 0);
        Assert.DoesNotContain("sk-upstream-secret-5678", text, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-sy-gateway-secret-1234", text, StringComparison.Ordinal);
        Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
    }
}

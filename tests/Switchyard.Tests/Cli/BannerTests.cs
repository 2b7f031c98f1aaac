using Switchyard.Cli;
using Switchyard.Config;
using Xunit;

namespace Switchyard.Tests.Cli;

public sealed class BannerTests
{
    [Fact]
    public void Plain_banner_names_version_config_providers_routes_and_where_logs_and_metrics_are()
    {
        var config = ConfigLoader.Parse("""
            providers:
              - {name: live, type: openai, base_url: "http://127.0.0.1:9/v1", keys: [k1]}
              - {name: off, type: anthropic, keys: [{key: k2, enabled: false}]}
              - {name: mock, type: mock}
            routes:
              - {model: m, targets: [{provider: live}]}
            """, "banner.yaml");
        var output = new StringWriter();
        Banner.Write(config, ["http://127.0.0.1:8080"], output);
        var text = output.ToString();
        Assert.Contains($"Switchyard {Switchyard.Inbound.HealthEndpoints.Version} listening on http://127.0.0.1:8080", text, StringComparison.Ordinal);
        Assert.Contains("config: banner.yaml; routes: 1; request log: logs/switchyard.jsonl; metrics: http://127.0.0.1:8080/metrics", text, StringComparison.Ordinal);
        Assert.Contains("console: http://127.0.0.1:8080/ui", text, StringComparison.Ordinal);
        Assert.Contains("[✓] live (openai, http://127.0.0.1:9/v1/, 1 key(s))", text, StringComparison.Ordinal);
        Assert.Contains("[✗] off (anthropic, https://api.anthropic.com/, 0 key(s))", text, StringComparison.Ordinal);
        Assert.Contains("[✓] mock (mock, built in)", text, StringComparison.Ordinal);
    }
}

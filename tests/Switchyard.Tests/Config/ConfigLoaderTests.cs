using Switchyard.Config;
using Xunit;

namespace Switchyard.Tests.Config;

public sealed class ConfigLoaderTests
{
    [Fact]
    public void The_documented_shape_loads_with_env_interpolation_and_key_objects()
    {
        var env = new Dictionary<string, string> { ["UP_KEY"] = "sk-from-env" };
        var config = ConfigLoader.Parse("""
            auth:
              keys: [sk-sy-test]
            providers:
              - name: up-openai
                type: openai
                base_url: http://127.0.0.1:9101/v1
                keys: [sk-a, "${UP_KEY}", {key: sk-c, weight: 2, max_failures: 5, cooldown: 60s}]
                first_byte_timeout: 1500ms
                idle_timeout: 2m
              - name: claude
                type: anthropic
                base_url: ${ANTHROPIC_BASE:-http://127.0.0.1:9102}
                keys: [sk-ant]
                auth: bearer
            routes:
              - model: gpt-4o-mini
                targets:
                  - provider: up-openai
                    model: gpt-4o-mini-2024-07-18
              - model: claude-*
                targets:
                  - provider: claude
            """, "s.yaml", n => env.GetValueOrDefault(n));
        var openai = config.Providers["up-openai"];
        Assert.Equal(ProviderKind.OpenAI, openai.Kind);
        Assert.Equal(["sk-a", "sk-from-env", "sk-c"], openai.Keys.Select(k => k.Secret));
        Assert.Equal(2, openai.Keys[2].Weight);
        Assert.Equal(5, openai.Keys[2].MaxFailures);
        Assert.Equal(TimeSpan.FromSeconds(60), openai.Keys[2].Cooldown);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), openai.FirstByteTimeout);
        Assert.Equal(TimeSpan.FromMinutes(2), openai.IdleTimeout);
        Assert.Equal(new Uri("http://127.0.0.1:9101/v1/chat/completions"), new Uri(openai.BaseUrl, "chat/completions"));
        Assert.Equal(UpstreamAuthScheme.Bearer, config.Providers["claude"].Auth);
        Assert.Equal("http://127.0.0.1:9102/", config.Providers["claude"].BaseUrl.ToString());
        Assert.Equal("gpt-4o-mini-2024-07-18", config.Routes[0].Targets[0].Model);
        Assert.Null(config.Routes[1].Targets[0].Model);
        Assert.Equal(["sk-sy-test"], config.Auth.Keys.ToArray());
    }

    [Theory]
    [InlineData("providers:\n  - name: a\n    type: opneai\n    keys: [k]\n", "s.yaml:3:11: providers[0].type: unknown provider type 'opneai'")]
    [InlineData("providers:\n  - name: a\n    type: openai\n    keys: [k]\nroutes:\n  - model: x\n    targets:\n      - provider: b\n", "s.yaml:8:19: routes[0].targets[0].provider: unknown provider 'b'")]
    [InlineData("providers:\n  - name: a\n    type: openai\n    kyes: [k]\n", "s.yaml:4:5: providers[0].kyes: unknown key 'kyes'")]
    [InlineData("providers:\n  - name: a\n    type: openai\n", "providers[0].keys: provider 'a' needs at least one API key")]
    [InlineData("providers:\n  - name: a\n    type: openai\n    keys: [\"${NOPE_NOT_SET}\"]\n", "s.yaml:4:12: providers[0].keys[0]: environment variable 'NOPE_NOT_SET' is not set.")]
    [InlineData("providers:\n  - name: a\n    type: openai\n    keys: [k]\n    idle_timeout: soon\n", "s.yaml:5:19: providers[0].idle_timeout: 'soon' is not a duration")]
    [InlineData("providers: [\n", "s.yaml:2:1: invalid YAML")]
    [InlineData("routes: []\n", "'providers' is required")]
    [InlineData("providers:\n  - name: a\n    type: openai\n    base_url: not a url\n    keys: [k]\n", "s.yaml:4:15: providers[0].base_url: 'not a url' is not an absolute http(s) URL.")]
    // found by ConfigFuzzTests: YamlDotNet gave up without a YamlException; a duration and a size that overflowed; a file that is not a mapping
    [InlineData("server:\n  urls: [http://127.0.0.1:8080\n  max_request_body: 32MB\n", "s.yaml:2:9: invalid YAML: the parser cannot read what follows here.")]
    [InlineData("providers:\n  - name: a\n    type: openai\n    keys: [k]\n    idle_timeout: 999999999999h\n", "s.yaml:5:19: providers[0].idle_timeout: '999999999999h' is longer than")]
    [InlineData("server:\n  max_request_body: 99999999999999999999GB\n", "s.yaml:2:21: server.max_request_body: '99999999999999999999GB' is larger than any limit needs")]
    [InlineData("server:\n  max_request_body: 17179869184GB\n", "server.max_request_body: '17179869184GB' is larger than any limit needs")]
    [InlineData("server:\n  shutdown_timeout: 10s\n  drain_delay: 10s\nproviders: [{name: m, type: mock}]\n", "s.yaml:3:16: server.drain_delay: must be shorter than server.shutdown_timeout (10s)")]
    [InlineData("", "s.yaml:1:1: providers: the config must be a YAML mapping")]
    [InlineData("- a list\n", "s.yaml:1:1: providers: the config must be a YAML mapping")]
    public void Invalid_config_names_file_line_and_problem(string yaml, string expected)
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(yaml, "s.yaml", _ => null));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_executable_refuses_an_invalid_file_with_its_line()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sy-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(path, "providers:\n  - name: a\n    type: nope\n");
        try
        {
            var error = new StringWriter();
            var original = Console.Error;
            Console.SetError(error);
            int code;
            try
            {
                code = await Switchyard.Cli.ServeCommand.RunAsync(["serve", "--config", path, "--urls", "http://127.0.0.1:0"]);
            }
            finally
            {
                Console.SetError(original);
            }
            Assert.Equal(2, code);
            Assert.Contains($"{path}:3:11: providers[0].type: unknown provider type 'nope'", error.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

using System.Text.Json.Nodes;
using Switchyard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchyard.Tests.Clients;

/// <summary>The official JS SDK <c>@google/genai</c> (npm) generates, streams, calls tools and counts tokens through the gateway against each upstream kind.</summary>
public sealed class GoogleGenAiSdkTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    [InlineData("openai-responses")]
    public async Task GenAI_SDK_round_trips(string kind)
    {
        await using var fake = await FakeUpstream.StartAsync((ctx, req) =>
            req.Path.EndsWith("count_tokens", StringComparison.Ordinal) ? FakeUpstream.Json("""{"input_tokens":11}""")(ctx, req)
            : req.Path.EndsWith(":countTokens", StringComparison.Ordinal) ? FakeUpstream.Json("""{"totalTokens":11}""")(ctx, req)
            : FakeUpstream.Scripted(kind)(ctx, req));
        await using var gw = await Gateway.StartAsync(OpenAISdkTests.Config(kind, fake.Url));

        var clients = ToolLocator.ClientsDirectory();
        Assert.True(Directory.Exists(Path.Combine(clients, "node_modules", "@google", "genai")), "@google/genai is not installed: run 'bash scripts/test.sh'");
        var run = await ChildProcess.RunAsync("node", [Path.Combine(clients, "genai-check.mjs"), gw.Url, "sk-sy-test", "sdk-model"], output, timeout: TimeSpan.FromMinutes(2));
        Assert.True(run.ExitCode == 0, run.Stderr);
        var result = JsonNode.Parse(run.Stdout)!;
        output.WriteLine(result.ToJsonString());

        Assert.Equal(Wire.Text, result["text"]!.GetValue<string>());
        Assert.Equal("STOP", result["finish"]!.GetValue<string>());
        Assert.True(result["usage"]!.GetValue<int>() > 0);
        Assert.Equal(Wire.Text, result["streamed"]!.GetValue<string>());
        Assert.True(result["chunks"]!.GetValue<int>() >= 2);
        var calls = result["calls"]!.AsArray();
        Assert.Equal(["Paris", "Tokyo"], calls.Select(c => c!["args"]!["city"]!.GetValue<string>()));
        Assert.Equal(Wire.Text, result["afterTools"]!.GetValue<string>());
        Assert.Equal(["Paris", "Tokyo"], result["streamedCalls"]!.AsArray().Select(c => c!["args"]!["city"]!.GetValue<string>()));
        Assert.True(result["countTokens"]!.GetValue<int>() > 0);
        if (kind is not ("openai" or "openai-responses")) // OpenAI models are counted by the local tokenizer
        {
            Assert.Equal(11, result["countTokens"]!.GetValue<int>());
        }
        Assert.All(fake.Requests, r => Assert.DoesNotContain("sk-sy-test", string.Join(",", r.Headers.Values), StringComparison.Ordinal));
    }
}

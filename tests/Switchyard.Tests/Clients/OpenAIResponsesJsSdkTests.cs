using System.Text.Json.Nodes;
using Switchyard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchyard.Tests.Clients;

/// <summary>The official <c>openai</c> npm SDK's Responses API (<c>responses.create</c>, <c>responses.stream</c>, retrieve, delete) through the gateway to each upstream kind.</summary>
public sealed class OpenAIResponsesJsSdkTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    [InlineData("openai-responses")]
    public async Task Responses_SDK_round_trips(string kind)
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Scripted(kind));
        await using var gw = await Gateway.StartAsync(OpenAISdkTests.Config(kind, fake.Url));

        var clients = ToolLocator.ClientsDirectory();
        Assert.True(Directory.Exists(Path.Combine(clients, "node_modules", "openai")), "the openai npm SDK is not installed: run 'bash scripts/test.sh'");
        var run = await ChildProcess.RunAsync("node", [Path.Combine(clients, "openai-responses-check.mjs"), gw.Url, "sk-sy-test", "sdk-model"], output, timeout: TimeSpan.FromMinutes(2));
        Assert.True(run.ExitCode == 0, run.Stderr);
        var result = JsonNode.Parse(run.Stdout)!;
        output.WriteLine(result.ToJsonString());

        Assert.Equal(Wire.Text, result["text"]!.GetValue<string>());
        Assert.Equal("completed", result["status"]!.GetValue<string>());
        Assert.True(result["usage"]!.GetValue<int>() > 0);
        Assert.Equal(Wire.Text, result["streamed"]!.GetValue<string>());
        Assert.Equal(Wire.Text, result["streamedFinal"]!.GetValue<string>());
        foreach (var name in new[] { "calls", "streamedCalls" })
        {
            Assert.Equal(["Paris", "Tokyo"], result[name]!.AsArray().Select(c => c!["args"]!["city"]!.GetValue<string>()));
        }
        Assert.Equal(Wire.Text, result["afterTools"]!.GetValue<string>());
        Assert.Equal(Wire.Text, result["streamedAfterTools"]!.GetValue<string>());
        Assert.Equal(Wire.Text, result["followUp"]!.GetValue<string>());
        Assert.Equal(Wire.Text, result["fetched"]!.GetValue<string>());
        Assert.Equal(404, result["afterDelete"]!.GetValue<int>());
    }
}

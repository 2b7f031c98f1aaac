using System.ClientModel;
using System.Text;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Clients;

/// <summary>The official OpenAI .NET SDK pointed at the gateway, against both upstream kinds.</summary>
public sealed class OpenAISdkTests
{
    internal static string Config(string kind, string url) => $$"""
        auth:
          keys: [sk-sy-test]
        providers:
          - name: up-{{kind}}
            type: {{kind}}
            base_url: {{Dispatch.ProtocolMatrixTests.BaseUrl(kind, url)}}
            keys: [sk-upstream-a]
        routes:
          - model: sdk-model
            targets:
              - provider: up-{{kind}}
                model: upstream-model
        """;

    private static ChatClient Client(Gateway gw) =>
        new("sdk-model", new ApiKeyCredential("sk-sy-test"), new OpenAIClientOptions { Endpoint = new Uri(gw.Url + "/v1") });

    private static readonly ChatTool Weather = ChatTool.CreateFunctionTool("get_weather", "Weather for a city",
        BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""));

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    [InlineData("openai-responses")]
    public async Task Chat_completes(string kind)
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Scripted(kind));
        await using var gw = await Gateway.StartAsync(Config(kind, fake.Url));
        ChatCompletion completion = await Client(gw).CompleteChatAsync([new SystemChatMessage("Be brief."), new UserChatMessage("Hello")]);
        Assert.Equal(Wire.Text, completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.True(completion.Usage.InputTokenCount > 0);
        Assert.True(completion.Usage.OutputTokenCount > 0);
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    [InlineData("openai-responses")]
    public async Task Chat_streams(string kind)
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Scripted(kind));
        await using var gw = await Gateway.StartAsync(Config(kind, fake.Url));
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        var updates = 0;
        await foreach (var update in Client(gw).CompleteChatStreamingAsync([new UserChatMessage("Hello")]))
        {
            updates++;
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
            finish ??= update.FinishReason;
        }
        Assert.Equal(Wire.Text, text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.True(updates >= 3, "the answer arrives in several chunks");
    }

    [Theory]
    [InlineData("openai", false)]
    [InlineData("openai", true)]
    [InlineData("anthropic", false)]
    [InlineData("anthropic", true)]
    [InlineData("gemini", false)]
    [InlineData("gemini", true)]
    public async Task Tool_call_round_trip(string kind, bool stream)
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Scripted(kind));
        await using var gw = await Gateway.StartAsync(Config(kind, fake.Url));
        var client = Client(gw);
        var options = new ChatCompletionOptions { Tools = { Weather } };
        List<ChatMessage> messages = [new UserChatMessage("Weather in Paris and Tokyo?")];

        List<(string Id, string Name, string Args)> calls = [];
        if (!stream)
        {
            ChatCompletion first = await client.CompleteChatAsync(messages, options);
            Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);
            calls = [.. first.ToolCalls.Select(c => (c.Id, c.FunctionName, c.FunctionArguments.ToString()))];
            messages.Add(new AssistantChatMessage(first));
        }
        else
        {
            var builders = new SortedDictionary<int, (string Id, string Name, StringBuilder Args)>();
            ChatFinishReason? finish = null;
            await foreach (var update in client.CompleteChatStreamingAsync(messages, options))
            {
                foreach (var tc in update.ToolCallUpdates)
                {
                    if (!builders.TryGetValue(tc.Index, out var b))
                    {
                        b = (tc.ToolCallId, tc.FunctionName, new StringBuilder());
                        builders[tc.Index] = b;
                    }
                    b.Args.Append(tc.FunctionArgumentsUpdate?.ToString());
                }
                finish ??= update.FinishReason;
            }
            Assert.Equal(ChatFinishReason.ToolCalls, finish);
            calls = [.. builders.Values.Select(b => (b.Id, b.Name, b.Args.ToString()))];
            messages.Add(new AssistantChatMessage(calls.Select(c => ChatToolCall.CreateFunctionToolCall(c.Id, c.Name, BinaryData.FromString(c.Args))).ToList()));
        }
        Assert.Equal(2, calls.Count);
        Assert.Equal(["Paris", "Tokyo"], calls.Select(c => JsonNode.Parse(c.Args)!["city"]!.GetValue<string>()));
        foreach (var call in calls)
        {
            messages.Add(new ToolChatMessage(call.Id, "18°C"));
        }

        ChatCompletion second = await client.CompleteChatAsync(messages, options);
        Assert.Equal(Wire.Text, second.Content[0].Text);

        // The upstream saw the results paired with the calls it made, in its own protocol.
        var last = fake.Requests.Last().Json;
        if (kind == "openai")
        {
            var tools = last["messages"]!.AsArray().Where(m => m!["role"]!.GetValue<string>() == "tool").ToList();
            Assert.Equal(calls.Select(c => c.Id), tools.Select(t => t!["tool_call_id"]!.GetValue<string>()));
        }
        else if (kind == "gemini")
        {
            var contents = last["contents"]!.AsArray();
            var responses = contents[^1]!["parts"]!.AsArray().Select(p => p!["functionResponse"]!).ToList();
            Assert.Equal(["get_weather", "get_weather"], responses.Select(r => r["name"]!.GetValue<string>()));
            Assert.Equal("18°C", responses[0]["response"]!["output"]!.GetValue<string>());
            var calls2 = contents[^2]!["parts"]!.AsArray().Select(p => p!["functionCall"]!).ToList();
            Assert.Equal(2, calls2.Count);
        }
        else
        {
            var results = last["messages"]!.AsArray()[^1]!["content"]!.AsArray();
            Assert.Equal(calls.Select(c => c.Id), results.Select(r => r!["tool_use_id"]!.GetValue<string>()));
            var uses = last["messages"]!.AsArray()[^2]!["content"]!.AsArray().Where(b => b!["type"]!.GetValue<string>() == "tool_use");
            Assert.Equal(calls.Select(c => c.Id), uses.Select(u => u!["id"]!.GetValue<string>()));
        }
    }

    [Fact]
    public async Task Upstream_rate_limit_surfaces_as_the_SDKs_429()
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.Anthropic.RateLimitError, 429, ("retry-after", "1")));
        await using var gw = await Gateway.StartAsync(Config("anthropic", fake.Url));
        var client = new ChatClient("sdk-model", new ApiKeyCredential("sk-sy-test"), new OpenAIClientOptions { Endpoint = new Uri(gw.Url + "/v1"), RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0) });
        var ex = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("Hello")]));
        Assert.Equal(429, ex.Status);
    }

    [Fact]
    public async Task A_wrong_gateway_key_is_the_SDKs_401()
    {
        await using var gw = await Gateway.StartAsync(Config("openai", "http://127.0.0.1:9"));
        var client = new ChatClient("sdk-model", new ApiKeyCredential("wrong"), new OpenAIClientOptions { Endpoint = new Uri(gw.Url + "/v1") });
        var ex = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("Hello")]));
        Assert.Equal(401, ex.Status);
    }
}

using System.Text;
using System.Text.Json;
using Anthropic;
using Anthropic.Models.Messages;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Clients;

/// <summary>The official Anthropic .NET SDK pointed at the gateway, against both upstream kinds.</summary>
public sealed class AnthropicSdkTests
{
    private static AnthropicClient Client(Gateway gw) => new() { ApiKey = "sk-sy-test", BaseUrl = gw.Url, MaxRetries = 0 };

    private static Tool WeatherTool() => new()
    {
        Name = "get_weather",
        Description = "Weather for a city",
        InputSchema = new InputSchema
        {
            Properties = new Dictionary<string, JsonElement> { ["city"] = JsonSerializer.SerializeToElement(new { type = "string" }) },
            Required = ["city"],
        },
    };

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    [InlineData("openai-responses")]
    public async Task Message_completes(string kind)
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Scripted(kind));
        await using var gw = await Gateway.StartAsync(OpenAISdkTests.Config(kind, fake.Url));
        var message = await Client(gw).Messages.Create(new MessageCreateParams
        {
            Model = "sdk-model",
            MaxTokens = 256,
            System = "Be brief.",
            Messages = [new UserMessageParam { Content = "Hello" }],
        });
        var text = string.Concat(message.Content.Select(b => b.TryPickText(out var t) ? t.Text : ""));
        Assert.Equal(Wire.Text, text);
        Assert.Equal(StopReason.EndTurn, message.StopReason!.Value());
        Assert.True(message.Usage.OutputTokens > 0);
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    [InlineData("openai-responses")]
    public async Task Message_streams(string kind)
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Scripted(kind));
        await using var gw = await Gateway.StartAsync(OpenAISdkTests.Config(kind, fake.Url));
        var text = new StringBuilder();
        var events = 0;
        var stopped = false;
        await foreach (var evt in Client(gw).Messages.CreateStreaming(new MessageCreateParams
        {
            Model = "sdk-model",
            MaxTokens = 256,
            Messages = [new UserMessageParam { Content = "Hello" }],
        }))
        {
            events++;
            if (evt.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var td))
            {
                text.Append(td.Text);
            }
            stopped |= evt.TryPickStop(out _);
        }
        Assert.Equal(Wire.Text, text.ToString());
        Assert.True(stopped);
        Assert.True(events >= 5);
    }

    [Theory]
    [InlineData("openai", false)]
    [InlineData("openai", true)]
    [InlineData("anthropic", false)]
    [InlineData("anthropic", true)]
    [InlineData("gemini", false)]
    [InlineData("gemini", true)]
    public async Task Tool_use_round_trip(string kind, bool stream)
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Scripted(kind));
        await using var gw = await Gateway.StartAsync(OpenAISdkTests.Config(kind, fake.Url));
        var client = Client(gw);
        var first = new MessageCreateParams
        {
            Model = "sdk-model",
            MaxTokens = 256,
            Tools = [WeatherTool()],
            Messages = [new UserMessageParam { Content = "Weather in Paris and Tokyo?" }],
        };

        List<(string Id, string Name, string Input)> calls = [];
        if (!stream)
        {
            var message = await client.Messages.Create(first);
            Assert.Equal(StopReason.ToolUse, message.StopReason!.Value());
            foreach (var block in message.Content)
            {
                if (block.TryPickToolUse(out var use))
                {
                    calls.Add((use.ID, use.Name, JsonSerializer.Serialize(use.Input)));
                }
            }
        }
        else
        {
            var blocks = new SortedDictionary<long, (string Id, string Name, StringBuilder Json)>();
            await foreach (var evt in client.Messages.CreateStreaming(first))
            {
                if (evt.TryPickContentBlockStart(out var start) && start.ContentBlock.TryPickToolUse(out var use))
                {
                    blocks[start.Index] = (use.ID, use.Name, new StringBuilder());
                }
                else if (evt.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickInputJson(out var json))
                {
                    blocks[delta.Index].Json.Append(json.PartialJson);
                }
            }
            calls = [.. blocks.Values.Select(b => (b.Id, b.Name, b.Json.ToString()))];
        }
        Assert.Equal(2, calls.Count);
        Assert.All(calls, c => Assert.Equal("get_weather", c.Name));
        Assert.Equal(["Paris", "Tokyo"], calls.Select(c => JsonDocument.Parse(c.Input).RootElement.GetProperty("city").GetString()));

        var second = await client.Messages.Create(new MessageCreateParams
        {
            Model = "sdk-model",
            MaxTokens = 256,
            Tools = [WeatherTool()],
            Messages =
            [
                new UserMessageParam { Content = "Weather in Paris and Tokyo?" },
                new AssistantMessageParam
                {
                    Content = calls.Select(c => (ContentBlockParam)new ToolUseBlockParam
                    {
                        ID = c.Id,
                        Name = c.Name,
                        Input = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(c.Input)!,
                    }).ToList(),
                },
                new UserMessageParam
                {
                    Content = calls.Select(c => (ContentBlockParam)new ToolResultBlockParam { ToolUseID = c.Id, Content = "18°C" }).ToList(),
                },
            ],
        });
        Assert.Equal(Wire.Text, string.Concat(second.Content.Select(b => b.TryPickText(out var t) ? t.Text : "")));
        var last = fake.Requests.Last().Json;
        if (kind == "openai")
        {
            var toolMessages = last["messages"]!.AsArray().Where(m => m!["role"]!.GetValue<string>() == "tool").ToList();
            Assert.Equal(calls.Select(c => c.Id), toolMessages.Select(t => t!["tool_call_id"]!.GetValue<string>()));
        }
    }

    [Fact]
    public async Task Upstream_rate_limit_surfaces_as_the_SDKs_429()
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.OpenAI.RateLimitError, 429, ("retry-after", "1")));
        await using var gw = await Gateway.StartAsync(OpenAISdkTests.Config("openai", fake.Url));
        await Assert.ThrowsAsync<Anthropic.Exceptions.AnthropicRateLimitException>(() => Client(gw).Messages.Create(new MessageCreateParams
        {
            Model = "sdk-model",
            MaxTokens = 10,
            Messages = [new UserMessageParam { Content = "Hello" }],
        }));
    }
}

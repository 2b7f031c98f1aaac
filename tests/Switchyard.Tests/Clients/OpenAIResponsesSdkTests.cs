using System.ClientModel;
using System.Text;
using OpenAI.Responses;
using Switchyard.Tests.Infrastructure;
using Xunit;

#pragma warning disable OPENAI001 // the Responses client is marked experimental in the SDK

namespace Switchyard.Tests.Clients;

/// <summary>The official OpenAI .NET SDK's Responses client pointed at the gateway, through each upstream kind.</summary>
public sealed class OpenAIResponsesSdkTests
{
    private static ResponsesClient Client(Gateway gw) =>
        new(new ApiKeyCredential("sk-sy-test"), new ResponsesClientOptions { Endpoint = new Uri(gw.Url + "/v1") });

    private static readonly ResponseTool Weather = ResponseTool.CreateFunctionTool("get_weather",
        BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""), strictModeEnabled: false, "Weather for a city");

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    [InlineData("openai-responses")]
    public async Task Responds(string kind)
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Scripted(kind));
        await using var gw = await Gateway.StartAsync(OpenAISdkTests.Config(kind, fake.Url));
        var options = new CreateResponseOptions("sdk-model", [ResponseItem.CreateUserMessageItem("Hello")]) { Instructions = "Be brief." };
        ResponseResult response = await Client(gw).CreateResponseAsync(options);
        Assert.Equal(Wire.Text, response.GetOutputText());
        Assert.Equal(ResponseStatus.Completed, response.Status);
        Assert.StartsWith("resp_", response.Id, StringComparison.Ordinal);
        Assert.True(response.Usage.InputTokenCount > 0);
        Assert.True(response.Usage.OutputTokenCount > 0);
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    [InlineData("openai-responses")]
    public async Task Streams(string kind)
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Scripted(kind));
        await using var gw = await Gateway.StartAsync(OpenAISdkTests.Config(kind, fake.Url));
        var text = new StringBuilder();
        ResponseResult? completed = null;
        var options = new CreateResponseOptions("sdk-model", [ResponseItem.CreateUserMessageItem("Hello")]) { StreamingEnabled = true };
        await foreach (var update in await Client(gw).CreateResponseStreamingAsync(options))
        {
            switch (update)
            {
                case StreamingResponseOutputTextDeltaUpdate delta:
                    text.Append(delta.Delta);
                    break;
                case StreamingResponseCompletedUpdate done:
                    completed = done.Response;
                    break;
            }
        }
        Assert.Equal(Wire.Text, text.ToString());
        Assert.NotNull(completed);
        Assert.Equal(Wire.Text, completed.GetOutputText());
        Assert.True(completed.Usage.TotalTokenCount > 0);
    }

    [Theory]
    [InlineData("openai", false)]
    [InlineData("anthropic", false)]
    [InlineData("gemini", false)]
    [InlineData("openai", true)]
    [InlineData("anthropic", true)]
    [InlineData("gemini", true)]
    [InlineData("openai-responses", false)]
    [InlineData("openai-responses", true)]
    public async Task Calls_tools_and_reads_their_results(string kind, bool stream)
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Scripted(kind));
        await using var gw = await Gateway.StartAsync(OpenAISdkTests.Config(kind, fake.Url));
        var client = Client(gw);
        List<ResponseItem> conversation = [ResponseItem.CreateUserMessageItem("Weather in Paris and Tokyo?")];
        var first = await RunAsync(client, conversation, stream);
        var calls = first.OutputItems.OfType<FunctionCallResponseItem>().ToList();
        Assert.Equal(["Paris", "Tokyo"], calls.Select(c => System.Text.Json.JsonDocument.Parse(c.FunctionArguments).RootElement.GetProperty("city").GetString()));
        Assert.All(calls, c => Assert.Equal("get_weather", c.FunctionName));
        Assert.Equal(2, calls.Select(c => c.CallId).Distinct().Count());

        conversation.AddRange(first.OutputItems);
        conversation.AddRange(calls.Select(c => ResponseItem.CreateFunctionCallOutputItem(c.CallId, "sunny")));
        var second = await RunAsync(client, conversation, stream);
        Assert.Equal(Wire.Text, second.GetOutputText());
    }

    private static async Task<ResponseResult> RunAsync(ResponsesClient client, List<ResponseItem> conversation, bool stream)
    {
        var options = new CreateResponseOptions("sdk-model", conversation) { StreamingEnabled = stream };
        options.Tools.Add(Weather);
        if (!stream)
        {
            return await client.CreateResponseAsync(options);
        }
        ResponseResult? completed = null;
        await foreach (var update in await client.CreateResponseStreamingAsync(options))
        {
            if (update is StreamingResponseCompletedUpdate done)
            {
                completed = done.Response;
            }
        }
        return completed ?? throw new InvalidOperationException("the stream ended without response.completed");
    }

    [Fact]
    public async Task Continues_a_stored_response_by_its_id()
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Scripted("anthropic"));
        await using var gw = await Gateway.StartAsync(OpenAISdkTests.Config("anthropic", fake.Url));
        var client = Client(gw);
        ResponseResult first = await client.CreateResponseAsync(new CreateResponseOptions("sdk-model", [ResponseItem.CreateUserMessageItem("My name is Ada.")]));
        ResponseResult second = await client.CreateResponseAsync(new CreateResponseOptions("sdk-model", [ResponseItem.CreateUserMessageItem("What is my name?")]) { PreviousResponseId = first.Id });
        Assert.Equal(Wire.Text, second.GetOutputText());
        // The upstream keeps no state: the gateway sent the whole conversation.
        var sent = fake.Requests.Last().Json["messages"]!.AsArray();
        Assert.Equal(3, sent.Count);
        Assert.Equal("My name is Ada.", sent[0]!["content"]!.AsArray()[0]!["text"]!.GetValue<string>());
        Assert.Equal(Wire.Text, sent[1]!["content"]!.AsArray()[0]!["text"]!.GetValue<string>());
        ResponseResult fetched = await client.GetResponseAsync(second.Id);
        Assert.Equal(second.Id, fetched.Id);
        Assert.Equal(Wire.Text, fetched.GetOutputText());
    }
}

using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using Switchyard.Protocols.Anthropic;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.OpenAI;
using Switchyard.Protocols.Responses;
using Xunit;

namespace Switchyard.Protocols.Tests.Responses;

/// <summary>The Responses API on the client side: requests decoded, answers and streams encoded, and the pitfalls of each.</summary>
public sealed class ResponsesClientTests
{
    /// <summary>A first turn shaped like Codex CLI's: developer messages, a namespace tool, web search, reasoning summaries.</summary>
    private static byte[] CodexLikeRequest => GoldenFiles.Bytes("or-request-codex.json");

    [Fact]
    public void A_Codex_first_turn_decodes_into_the_canonical_request()
    {
        var req = ResponsesRequestDecoder.Decode(CodexLikeRequest);
        Assert.Equal(WireProtocol.Responses, req.SourceProtocol);
        Assert.Equal(["You are Codex.", "Sandbox: read-only."], req.System.Select(s => s.Text));
        Assert.Equal("Run echo ok", Assert.IsType<TextPart>(Assert.Single(Assert.Single(req.Messages).Content)).Text);
        Assert.Equal(["exec_command", "multi_agent_v1__close_agent", "apply_patch", "web_search"], req.Tools.Select(t => t.Name));
        Assert.Equal("multi_agent_v1", req.Tools[1].ResponsesNamespace);
        Assert.Equal("close_agent", req.Tools[1].ResponsesLocalName);
        Assert.True(req.Tools[2].ResponsesCustom);
        Assert.Contains("start: patch", req.Tools[2].Description, StringComparison.Ordinal);
        Assert.Equal(HostedToolKind.WebSearch, req.Tools[3].HostedKind);
        Assert.Equal("medium", req.Reasoning!.Effort);
        Assert.True(req.Stream);
        // Responses-only fields stay with the Responses family.
        Assert.Equal(["include", "prompt_cache_key", "store"], req.Extensions.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void To_Anthropic_the_hosted_web_search_is_Anthropics_and_Responses_fields_stay_behind()
    {
        var req = ResponsesRequestDecoder.Decode(CodexLikeRequest);
        var body = JsonNode.Parse(AnthropicRequestEncoder.Encode(req, new EncodeOptions("claude-sonnet-4-5")))!;
        Assert.Equal(["exec_command", "multi_agent_v1__close_agent", "apply_patch", "web_search"], body["tools"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()));
        Assert.Equal("web_search_20250305", body["tools"]![3]!["type"]!.GetValue<string>());
        Assert.Null(body["store"]);
        Assert.Null(body["include"]);
        Assert.Null(body["prompt_cache_key"]);
    }

    [Fact]
    public void To_OpenAI_Chat_hosted_tools_are_left_out_and_named()
    {
        var req = ResponsesRequestDecoder.Decode(CodexLikeRequest);
        var body = JsonNode.Parse(OpenAIRequestEncoder.Encode(req, new EncodeOptions("gpt-4.1")))!;
        Assert.Equal(["exec_command", "multi_agent_v1__close_agent", "apply_patch"], body["tools"]!.AsArray().Select(t => t!["function"]!["name"]!.GetValue<string>()));
        Assert.Equal(["web_search"], HostedTools.Omitted(req, WireProtocol.OpenAI));
        Assert.Contains("You are Codex.", body["messages"]![0]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("user", body["messages"]!.AsArray()[^1]!["role"]!.GetValue<string>());
    }

    [Fact]
    public void Anthropic_thinking_becomes_a_reasoning_item_that_replays_with_its_signature()
    {
        var events = Encode(GoldenFiles.Bytes("an-stream-thinking-tool.sse"), new AnthropicStreamDecoder());
        var completed = events.Single(e => Type(e) == "response.completed")["response"]!;
        var output = completed["output"]!.AsArray();
        Assert.Equal(["reasoning", "message", "function_call"], output.Select(o => o!["type"]!.GetValue<string>()));
        Assert.Equal("Need weather.", output[0]!["summary"]![0]!["text"]!.GetValue<string>());
        Assert.Equal("sy1.sig.EqQBCgIYAhIM1gbcDa9GJwZA2b3h", output[0]!["encrypted_content"]!.GetValue<string>());
        Assert.Equal(["response.reasoning_summary_part.added", "response.reasoning_summary_text.delta", "response.reasoning_summary_text.done", "response.reasoning_summary_part.done"],
            events.Where(e => Type(e).StartsWith("response.reasoning_summary", StringComparison.Ordinal)).Select(Type));
        Assert.Equal(1024, completed["usage"]!["input_tokens_details"]!["cached_tokens"]!.GetValue<int>());

        // Replayed as history, the item is Anthropic's thinking block again, signature and all.
        var history = new JsonArray(JsonNode.Parse("""{"role":"user","content":"Weather?"}"""));
        foreach (var item in output)
        {
            history.Add(item!.DeepClone());
        }
        history.Add(JsonNode.Parse($$"""{"type":"function_call_output","call_id":"{{output[2]!["call_id"]}}","output":"sunny"}"""));
        var replay = ResponsesRequestDecoder.Decode(Encoding.UTF8.GetBytes(new JsonObject { ["model"] = "m", ["input"] = history }.ToJsonString()));
        var body = JsonNode.Parse(AnthropicRequestEncoder.Encode(replay, new EncodeOptions("claude-sonnet-4-5")))!;
        var assistant = body["messages"]![1]!["content"]!.AsArray();
        Assert.Equal("thinking", assistant[0]!["type"]!.GetValue<string>());
        Assert.Equal("EqQBCgIYAhIM1gbcDa9GJwZA2b3h", assistant[0]!["signature"]!.GetValue<string>());
        Assert.Equal(["thinking", "text", "tool_use"], assistant.Select(b => b!["type"]!.GetValue<string>()));
        Assert.Equal("tool_result", body["messages"]![2]!["content"]![0]!["type"]!.GetValue<string>());
    }

    [Fact]
    public void Parallel_calls_each_get_their_own_item_and_output_index()
    {
        var events = Encode(GoldenFiles.Bytes("oa-stream-parallel-tools.sse"), new OpenAIStreamDecoder());
        var added = events.Where(e => Type(e) == "response.output_item.added" && e["item"]!["type"]!.GetValue<string>() == "function_call").ToList();
        Assert.True(added.Count >= 2);
        Assert.Equal(added.Count, added.Select(a => a["output_index"]!.GetValue<int>()).Distinct().Count());
        Assert.Equal(added.Count, added.Select(a => a["item"]!["call_id"]!.GetValue<string>()).Distinct().Count());
        foreach (var a in added)
        {
            var id = a["item"]!["id"]!.GetValue<string>();
            var deltas = string.Concat(events.Where(e => Type(e) == "response.function_call_arguments.delta" && e["item_id"]!.GetValue<string>() == id).Select(e => e["delta"]!.GetValue<string>()));
            var done = events.Single(e => Type(e) == "response.function_call_arguments.done" && e["item_id"]!.GetValue<string>() == id)["arguments"]!.GetValue<string>();
            Assert.Equal(done, deltas);
            Assert.NotNull(JsonNode.Parse(done));
        }
    }

    [Fact]
    public void A_call_without_arguments_is_done_with_an_empty_object()
    {
        var sse = string.Concat(
            "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4.1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}\n\n",
            "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4.1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n",
            "data: [DONE]\n\n");
        var events = Encode(Encoding.UTF8.GetBytes(sse), new OpenAIStreamDecoder());
        Assert.DoesNotContain(events, e => Type(e) == "response.function_call_arguments.delta");
        Assert.Equal("{}", events.Single(e => Type(e) == "response.function_call_arguments.done")["arguments"]!.GetValue<string>());
        Assert.Equal("{}", events.Single(e => Type(e) == "response.completed")["response"]!["output"]![0]!["arguments"]!.GetValue<string>());
    }

    [Fact]
    public void A_cut_off_answer_is_incomplete_with_its_reason()
    {
        var response = new ChatResponse { Id = "x", Model = "m", FinishReason = FinishReason.MaxTokens, Usage = new Usage { InputTokens = 5, OutputTokens = 7, ReasoningTokens = 2 } };
        response.Content.Add(new TextPart("Half an ans"));
        var json = JsonNode.Parse(ResponsesResponseCodec.Encode(response, new ResponsesEcho("resp_1", 100, null)))!;
        Assert.Equal("incomplete", json["status"]!.GetValue<string>());
        Assert.Equal("max_output_tokens", json["incomplete_details"]!["reason"]!.GetValue<string>());
        Assert.Equal(12, json["usage"]!["total_tokens"]!.GetValue<int>());
        Assert.Equal(2, json["usage"]!["output_tokens_details"]!["reasoning_tokens"]!.GetValue<int>());

        var stream = Encode([new MessageStartEvent("x", "m", null), new BlockStartEvent(0, BlockKind.Text), new BlockDeltaEvent(0, DeltaKind.Text, "Half"),
            new MessageDeltaEvent(FinishReason.MaxTokens, null, new Usage { InputTokens = 5, OutputTokens = 7 }), MessageStopEvent.Instance]);
        // The block the upstream left open is closed before the terminal event.
        Assert.Equal(["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.incomplete"], stream.TakeLast(4).Select(Type));
    }

    [Fact]
    public void A_rate_limit_mid_stream_fails_with_the_code_and_delay_clients_retry_on()
    {
        var stream = Encode([new MessageStartEvent("x", "m", null), new BlockStartEvent(0, BlockKind.Text), new BlockDeltaEvent(0, DeltaKind.Text, "Hi"),
            new StreamErrorEvent(new GatewayError(ErrorKind.RateLimit, "Slow down.") { RetryAfter = TimeSpan.FromSeconds(12) })]);
        var failed = stream[^1];
        Assert.Equal("response.failed", Type(failed));
        Assert.Equal("rate_limit_exceeded", failed["response"]!["error"]!["code"]!.GetValue<string>());
        Assert.Equal("Slow down. Please try again in 12s.", failed["response"]!["error"]!["message"]!.GetValue<string>());
    }

    private static string Type(JsonNode e) => e["type"]!.GetValue<string>();

    private static List<JsonNode> Encode(byte[] upstreamSse, IStreamDecoder decoder)
    {
        using var encoder = new ResponsesStreamEncoder(new ResponsesEcho("resp_test", 1, null));
        return Parse(GoldenFiles.Translate(upstreamSse, decoder, encoder));
    }

    private static List<JsonNode> Encode(StreamEvent[] events)
    {
        using var encoder = new ResponsesStreamEncoder(new ResponsesEcho("resp_test", 1, null));
        var output = new ArrayBufferWriter<byte>();
        foreach (var e in events)
        {
            encoder.Write(e, output);
        }
        return Parse(output.WrittenSpan.ToArray());
    }

    private static List<JsonNode> Parse(byte[] sse)
    {
        var list = new List<JsonNode>();
        var sequence = 0;
        foreach (var e in GoldenFiles.ParseSse(sse))
        {
            var json = JsonNode.Parse(e.Data.Span)!;
            Assert.Equal(e.EventType, Type(json));
            Assert.Equal(sequence++, json["sequence_number"]!.GetValue<int>());
            list.Add(json);
        }
        return list;
    }
}

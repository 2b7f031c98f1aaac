using System.Text;
using System.Text.Json.Nodes;
using Switchyard.Protocols.Anthropic;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.OpenAI;
using Switchyard.Protocols.Responses;
using Switchyard.Protocols.Sse;
using Xunit;

namespace Switchyard.Protocols.Tests.Responses;

/// <summary>The Responses API on the upstream side: requests encoded for it, its answers and streams decoded.</summary>
public sealed class ResponsesUpstreamTests
{
    private static List<StreamEvent> Decode(params string[] events)
    {
        var decoder = new ResponsesStreamDecoder();
        var output = new List<StreamEvent>();
        foreach (var e in events)
        {
            var json = JsonNode.Parse(e)!;
            decoder.OnEvent(new SseEvent(json["type"]!.GetValue<string>(), Encoding.UTF8.GetBytes(e)), output);
        }
        if (!decoder.IsFinished)
        {
            decoder.OnEnd(output);
        }
        return output;
    }

    private const string Created = """{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","status":"in_progress","model":"gpt-5","output":[],"usage":null}}""";
    private const string Completed = """{"type":"response.completed","sequence_number":99,"response":{"id":"resp_1","object":"response","status":"completed","model":"gpt-5","output":[],"usage":{"input_tokens":10,"input_tokens_details":{"cached_tokens":4},"output_tokens":6,"output_tokens_details":{"reasoning_tokens":2},"total_tokens":16}}}""";

    [Fact]
    public void Arguments_sent_only_in_done_still_reach_the_client_whole()
    {
        var events = Decode(Created,
            """{"type":"response.output_item.added","output_index":0,"item":{"id":"fc_1","type":"function_call","call_id":"call_1","name":"get_weather","arguments":""}}""",
            """{"type":"response.function_call_arguments.done","output_index":0,"item_id":"fc_1","arguments":"{\"city\":\"Tokyo\"}"}""",
            """{"type":"response.output_item.done","output_index":0,"item":{"id":"fc_1","type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Tokyo\"}"}}""",
            Completed);
        var start = Assert.Single(events.OfType<BlockStartEvent>());
        Assert.Equal(("call_1", "get_weather"), (start.ToolCallId, start.ToolName));
        Assert.Equal("""{"city":"Tokyo"}""", Assert.Single(events.OfType<BlockDeltaEvent>()).Value);
        var end = Assert.Single(events.OfType<MessageDeltaEvent>());
        Assert.Equal(FinishReason.ToolUse, end.FinishReason);
        Assert.Equal(new Usage { InputTokens = 10, OutputTokens = 6, CacheReadTokens = 4, ReasoningTokens = 2 }, end.Usage);
        Assert.IsType<MessageStopEvent>(events[^1]);
    }

    [Fact]
    public void Streamed_arguments_are_not_sent_twice_and_calls_stay_sequential()
    {
        var events = Decode(Created,
            """{"type":"response.output_item.added","output_index":0,"item":{"id":"fc_1","type":"function_call","call_id":"call_1","name":"f","arguments":""}}""",
            """{"type":"response.function_call_arguments.delta","output_index":0,"item_id":"fc_1","delta":"{\"a\":"}""",
            """{"type":"response.function_call_arguments.delta","output_index":0,"item_id":"fc_1","delta":"1}"}""",
            """{"type":"response.function_call_arguments.done","output_index":0,"item_id":"fc_1","arguments":"{\"a\":1}"}""",
            """{"type":"response.output_item.done","output_index":0,"item":{"id":"fc_1","type":"function_call","call_id":"call_1","name":"f","arguments":"{\"a\":1}"}}""",
            """{"type":"response.output_item.added","output_index":1,"item":{"id":"fc_2","type":"function_call","call_id":"call_2","name":"f","namespace":"tools_ns","arguments":""}}""",
            """{"type":"response.output_item.done","output_index":1,"item":{"id":"fc_2","type":"function_call","call_id":"call_2","name":"f","namespace":"tools_ns","arguments":""}}""",
            Completed);
        Assert.Equal(["{\"a\":", "1}"], events.OfType<BlockDeltaEvent>().Select(d => d.Value));
        Assert.Equal(["f", "tools_ns__f"], events.OfType<BlockStartEvent>().Select(s => s.ToolName));
        // Each block is stopped before the next starts.
        Assert.Equal(["start 0", "delta 0", "delta 0", "stop 0", "start 1", "stop 1"], events.Select(e => e switch
        {
            BlockStartEvent s => $"start {s.Index}",
            BlockDeltaEvent d => $"delta {d.Index}",
            BlockStopEvent s => $"stop {s.Index}",
            _ => null,
        }).OfType<string>());
    }

    [Fact]
    public void Reasoning_summaries_are_unsigned_thinking_and_custom_calls_carry_their_input()
    {
        var events = Decode(Created,
            """{"type":"response.output_item.added","output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[]}}""",
            """{"type":"response.reasoning_summary_text.delta","output_index":0,"item_id":"rs_1","summary_index":0,"delta":"Plan A."}""",
            """{"type":"response.reasoning_summary_text.delta","output_index":0,"item_id":"rs_1","summary_index":1,"delta":"Plan B."}""",
            """{"type":"response.output_item.done","output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[],"encrypted_content":"gAAAA"}}""",
            """{"type":"response.output_item.added","output_index":1,"item":{"id":"ctc_1","type":"custom_tool_call","call_id":"call_p","name":"apply_patch","input":""}}""",
            """{"type":"response.custom_tool_call_input.delta","output_index":1,"item_id":"ctc_1","delta":"*** Begin"}""",
            """{"type":"response.custom_tool_call_input.done","output_index":1,"item_id":"ctc_1","input":"*** Begin Patch"}""",
            """{"type":"response.output_item.done","output_index":1,"item":{"id":"ctc_1","type":"custom_tool_call","call_id":"call_p","name":"apply_patch","input":"*** Begin Patch"}}""",
            Completed);
        var thinking = events.OfType<BlockStartEvent>().First();
        Assert.Equal(BlockKind.Thinking, thinking.Kind);
        Assert.True(thinking.NeverSigned);
        Assert.Equal("Plan A.\n\nPlan B.", string.Concat(events.OfType<BlockDeltaEvent>().Where(d => d.Kind == DeltaKind.Thinking).Select(d => d.Value)));
        Assert.Equal("""{"input":"*** Begin Patch"}""", events.OfType<BlockDeltaEvent>().Single(d => d.Kind == DeltaKind.Arguments).Value);
    }

    [Theory]
    [InlineData("""{"type":"response.failed","response":{"id":"resp_1","status":"failed","error":{"code":"rate_limit_exceeded","message":"Rate limit reached. Please try again in 2s."}}}""", ErrorKind.RateLimit)]
    [InlineData("""{"type":"response.failed","response":{"id":"resp_1","status":"failed","error":{"code":"server_error","message":"Boom."}}}""", ErrorKind.Internal)]
    [InlineData("""{"type":"error","code":"insufficient_quota","message":"You exceeded your quota.","param":null}""", ErrorKind.QuotaExceeded)]
    public void A_failure_mid_stream_is_an_error_of_its_kind(string failure, ErrorKind kind)
    {
        var events = Decode(Created, """{"type":"response.output_text.delta","output_index":0,"item_id":"m","content_index":0,"delta":"Hi"}""", failure);
        Assert.Equal(kind, Assert.IsType<StreamErrorEvent>(events[^1]).Error.Kind);
    }

    [Fact]
    public void A_stream_cut_before_completed_ends_in_an_error()
    {
        var events = Decode(Created, """{"type":"response.output_text.delta","output_index":0,"item_id":"m","content_index":0,"delta":"Hi"}""");
        Assert.Equal(ErrorKind.BadGateway, Assert.IsType<StreamErrorEvent>(events[^1]).Error.Kind);
    }

    [Fact]
    public void A_chat_tool_loop_is_sent_as_items_with_no_state_kept_upstream()
    {
        var chat = """
            {"model":"gpt-5","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Weather?"},
              {"role":"assistant","content":"Checking.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"sunny"}],
             "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],
             "max_tokens":100,"stream":true,"user":"u-1","seed":7}
            """;
        var req = OpenAIRequestDecoder.Decode(Encoding.UTF8.GetBytes(chat));
        var body = JsonNode.Parse(ResponsesRequestEncoder.Encode(req, new EncodeOptions("gpt-5-mini")))!;
        Assert.Equal("gpt-5-mini", body["model"]!.GetValue<string>());
        Assert.Equal("Be brief.", body["instructions"]!.GetValue<string>());
        Assert.Equal(["message", "message", "function_call", "function_call_output"], body["input"]!.AsArray().Select(i => i!["type"]!.GetValue<string>()));
        Assert.Equal("output_text", body["input"]![1]!["content"]![0]!["type"]!.GetValue<string>());
        Assert.Equal("call_1", body["input"]![3]!["call_id"]!.GetValue<string>());
        Assert.Equal("sunny", body["input"]![3]!["output"]!.GetValue<string>());
        Assert.Equal("get_weather", body["tools"]![0]!["name"]!.GetValue<string>()); // flat, not nested under "function"
        Assert.Equal(100, body["max_output_tokens"]!.GetValue<int>());
        Assert.False(body["store"]!.GetValue<bool>());
        Assert.True(body["stream"]!.GetValue<bool>());
        Assert.Null(body["seed"]); // a Chat Completions extension stays with its family
        Assert.Null(body["stream_options"]);
    }

    [Fact]
    public void Only_OpenAIs_own_reasoning_goes_back_to_it()
    {
        var anthropic = """
            {"model":"claude","max_tokens":50,"messages":[{"role":"user","content":"Hi"},
              {"role":"assistant","content":[{"type":"thinking","thinking":"Hmm.","signature":"sig-anthropic"},{"type":"text","text":"Hello."}]},
              {"role":"user","content":"Again"}]}
            """;
        var body = JsonNode.Parse(ResponsesRequestEncoder.Encode(AnthropicRequestDecoder.Decode(Encoding.UTF8.GetBytes(anthropic)), new EncodeOptions("gpt-5")))!;
        Assert.DoesNotContain("sig-anthropic", body.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain(body["input"]!.AsArray(), i => i!["type"]!.GetValue<string>() == "reasoning");

        // A Responses answer's reasoning (encrypted) comes back as a reasoning item.
        var answer = ResponsesResponseCodec.Decode(Encoding.UTF8.GetBytes("""
            {"id":"resp_1","object":"response","status":"completed","model":"gpt-5","output":[
              {"id":"rs_1","type":"reasoning","summary":[{"type":"summary_text","text":"Think."}],"encrypted_content":"gAAAAB"},
              {"id":"msg_1","type":"message","role":"assistant","content":[{"type":"output_text","text":"Done.","annotations":[]}]}],
             "usage":{"input_tokens":3,"output_tokens":4,"total_tokens":7}}
            """));
        Assert.Equal(FinishReason.EndTurn, answer.FinishReason);
        var req = new ChatRequest { Model = "gpt-5" };
        req.Messages.Add(new ChatMessage(ChatRole.User) { Content = { new TextPart("Hi") } });
        var assistant = new ChatMessage(ChatRole.Assistant);
        assistant.Content.AddRange(answer.Content);
        req.Messages.Add(assistant);
        var again = JsonNode.Parse(ResponsesRequestEncoder.Encode(req, new EncodeOptions("gpt-5")))!;
        var reasoning = again["input"]!.AsArray().Single(i => i!["type"]!.GetValue<string>() == "reasoning")!;
        Assert.Equal("gAAAAB", reasoning["encrypted_content"]!.GetValue<string>());
        Assert.Equal("Think.", reasoning["summary"]![0]!["text"]!.GetValue<string>());
    }

    [Fact]
    public void The_fields_both_OpenAI_formats_define_cross_between_them_and_no_others()
    {
        var chat = OpenAIRequestDecoder.Decode(Encoding.UTF8.GetBytes(
            """{"model":"m","prompt_cache_key":"conv-1","service_tier":"flex","logit_bias":{"1":2},"messages":[{"role":"user","content":"Hi"}]}"""));
        var toResponses = JsonNode.Parse(ResponsesRequestEncoder.Encode(chat, new EncodeOptions("gpt-5")))!;
        Assert.Equal("conv-1", toResponses["prompt_cache_key"]!.GetValue<string>());
        Assert.Equal("flex", toResponses["service_tier"]!.GetValue<string>());
        Assert.Null(toResponses["logit_bias"]); // Chat Completions only

        var responses = ResponsesRequestDecoder.Decode(Encoding.UTF8.GetBytes(
            """{"model":"m","prompt_cache_key":"conv-2","truncation":"auto","input":"Hi"}"""));
        var toChat = JsonNode.Parse(OpenAIRequestEncoder.Encode(responses, new EncodeOptions("gpt-4o")))!;
        Assert.Equal("conv-2", toChat["prompt_cache_key"]!.GetValue<string>());
        Assert.Null(toChat["truncation"]); // Responses only
        var toAnthropic = JsonNode.Parse(AnthropicRequestEncoder.Encode(responses, new EncodeOptions("claude-sonnet-4-5")))!;
        Assert.Null(toAnthropic["prompt_cache_key"]);
    }
}

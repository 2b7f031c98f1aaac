using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Switchyard.Protocols.Anthropic;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.OpenAI;
using Xunit;
using static Switchyard.Protocols.Tests.GoldenFiles;

namespace Switchyard.Protocols.Tests.Anthropic;

/// <summary>One test (or more) per rule of shared/protocols/PITFALLS.md that concerns OpenAI ⇄ Anthropic.</summary>
public sealed class PitfallTests
{
    private static JsonNode OaToAn(string openAiBody, EncodeOptions? options = null) =>
        JsonNode.Parse(AnthropicRequestEncoder.Encode(OpenAIRequestDecoder.Decode(Encoding.UTF8.GetBytes(openAiBody)), options ?? new EncodeOptions("claude")))!;

    private static JsonNode AnToOa(string anthropicBody, EncodeOptions? options = null) =>
        JsonNode.Parse(OpenAIRequestEncoder.Encode(AnthropicRequestDecoder.Decode(Encoding.UTF8.GetBytes(anthropicBody)), options ?? new EncodeOptions("gpt")))!;

    [Fact]
    public void P1_empty_text_blocks_and_empty_turns_never_reach_Anthropic()
    {
        var an = OaToAn("""{"model":"m","messages":[{"role":"system","content":""},{"role":"user","content":[{"type":"text","text":"hi"},{"type":"text","text":"  "}]},{"role":"assistant","content":""},{"role":"user","content":"again"}]}""");
        Assert.Null(an["system"]);
        var messages = an["messages"]!.AsArray();
        Assert.Single(messages); // the empty assistant turn vanished and the two user turns merged
        var texts = messages[0]!["content"]!.AsArray().Select(b => b!["text"]!.GetValue<string>()).ToList();
        Assert.Equal(["hi", "again"], texts);
    }

    [Fact]
    public void P5_usage_chunk_only_when_the_client_asked_and_always_requested_upstream()
    {
        foreach (var include in new[] { true, false })
        {
            using var enc = new OpenAIStreamEncoder(include, 1);
            var buf = new ArrayBufferWriter<byte>();
            enc.Write(new MessageStartEvent("id", "m", null), buf);
            enc.Write(new MessageDeltaEvent(FinishReason.EndTurn, null, new Usage { InputTokens = 3, OutputTokens = 4 }), buf);
            enc.Write(MessageStopEvent.Instance, buf);
            var text = Encoding.UTF8.GetString(buf.WrittenSpan);
            Assert.Equal(include, text.Contains("\"choices\":[],\"usage\"", StringComparison.Ordinal));
            Assert.EndsWith("data: [DONE]\n\n", text, StringComparison.Ordinal);
        }
        var upstream = AnToOa("""{"model":"m","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"x"}]}""");
        Assert.True(upstream["stream_options"]!["include_usage"]!.GetValue<bool>());
    }

    [Fact]
    public void P8_thinking_signatures_cross_an_OpenAI_history_byte_for_byte()
    {
        const string sig = "EqQBCgIYAhIM1gbcDa9GJwZA2b3h+/==";
        var an = OaToAn($$$"""
            {"model":"m","reasoning_effort":"high","messages":[
              {"role":"user","content":"go"},
              {"role":"assistant","content":null,"reasoning_content":"plan","thinking_blocks":[{"type":"thinking","thinking":"plan","signature":"{{{sig}}}"}],
               "tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"ok"}],
             "tools":[{"type":"function","function":{"name":"f"}}]}
            """);
        var first = an["messages"]![1]!["content"]![0]!;
        Assert.Equal("thinking", first["type"]!.GetValue<string>());
        Assert.Equal(sig, first["signature"]!.GetValue<string>());
        Assert.Equal("enabled", an["thinking"]!["type"]!.GetValue<string>());
        Assert.Equal(4096, an["thinking"]!["budget_tokens"]!.GetValue<int>());
        Assert.True(an["max_tokens"]!.GetValue<int>() > 4096);
    }

    [Fact]
    public void P8_unsigned_reasoning_is_never_sent_to_Anthropic_and_thinking_is_dropped_when_the_loop_lost_its_signatures()
    {
        var an = OaToAn("""
            {"model":"m","reasoning_effort":"medium","messages":[
              {"role":"user","content":"go"},
              {"role":"assistant","content":null,"reasoning_content":"deepseek thoughts","tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"ok"}],
             "tools":[{"type":"function","function":{"name":"f"}}]}
            """);
        Assert.DoesNotContain("deepseek thoughts", an.ToJsonString(), StringComparison.Ordinal);
        Assert.Null(an["thinking"]);
    }

    [Fact]
    public void P8_unsigned_thinking_blocks_are_not_streamed_to_Anthropic_clients()
    {
        var sse = "data: {\"id\":\"c\",\"model\":\"deepseek-reasoner\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"hmm\"}}]}\n\n" +
                  "data: {\"id\":\"c\",\"model\":\"deepseek-reasoner\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n" +
                  "data: {\"id\":\"c\",\"model\":\"deepseek-reasoner\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
        using var enc = new AnthropicStreamEncoder();
        var text = Encoding.UTF8.GetString(Translate(Encoding.UTF8.GetBytes(sse), new OpenAIStreamDecoder(), enc));
        Assert.DoesNotContain("thinking", text, StringComparison.Ordinal);
        Assert.Contains("\"index\":0,\"content_block\":{\"type\":\"text\"", text, StringComparison.Ordinal);
        Assert.Contains("\"text\":\"Hi\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public void P9_tool_call_index_counts_tool_calls_only_when_text_comes_first()
    {
        var sse = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\",\"usage\":{\"input_tokens\":1,\"output_tokens\":0}}}\n\n" +
                  "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n" +
                  "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
                  "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"a\",\"input\":{}}}\n\n" +
                  "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n" +
                  "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t2\",\"name\":\"b\",\"input\":{}}}\n\n" +
                  "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{}\"}}\n\n" +
                  "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":2}\n\n" +
                  "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
        using var enc = new OpenAIStreamEncoder(false, 1);
        var events = ParseSse(Translate(Encoding.UTF8.GetBytes(sse), new AnthropicStreamDecoder(), enc));
        var calls = events.Where(e => !e.IsDone)
            .Select(e => JsonNode.Parse(e.Data.Span)!["choices"]![0]!["delta"]!["tool_calls"])
            .Where(t => t is not null).Select(t => t![0]!).ToList();
        // t1 streamed no arguments: it gets "{}" when it closes (P14).
        Assert.Equal([0, 0, 1, 1], calls.Select(c => c["index"]!.GetValue<int>()));
        Assert.Equal("t1", calls[0]["id"]!.GetValue<string>());
        Assert.Equal("{}", calls[1]["function"]!["arguments"]!.GetValue<string>());
        Assert.Equal("t2", calls[2]["id"]!.GetValue<string>());
        Assert.Null(calls[3]["id"]); // ids and names only on a call's first fragment
    }

    [Fact]
    public void P10_tool_results_come_first_orphans_get_a_result_and_stray_results_are_dropped()
    {
        var an = OaToAn("""
            {"model":"m","messages":[
              {"role":"user","content":"go"},
              {"role":"assistant","content":null,"tool_calls":[
                {"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}},
                {"id":"call_2","type":"function","function":{"name":"f","arguments":"{}"}}]},
              {"role":"tool","tool_call_id":"call_2","content":"two"},
              {"role":"tool","tool_call_id":"call_9","content":"stray"},
              {"role":"user","content":"and then?"}]}
            """);
        var content = an["messages"]![2]!["content"]!.AsArray();
        Assert.Equal(["tool_result", "tool_result", "text"], content.Select(c => c!["type"]!.GetValue<string>()));
        Assert.Equal("call_1", content[0]!["tool_use_id"]!.GetValue<string>());
        Assert.True(content[0]!["is_error"]!.GetValue<bool>());
        Assert.Equal("call_2", content[1]!["tool_use_id"]!.GetValue<string>());
        Assert.DoesNotContain("stray", an.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void P10_Anthropic_tool_results_become_OpenAI_tool_messages_before_the_remaining_user_text()
    {
        var oa = AnToOa("""
            {"model":"m","max_tokens":5,"messages":[
              {"role":"user","content":"go"},
              {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{}},{"type":"tool_use","id":"t2","name":"f","input":{}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"one"},{"type":"tool_result","tool_use_id":"t2","content":"boom","is_error":true},{"type":"text","text":"next"}]}]}
            """);
        var msgs = oa["messages"]!.AsArray();
        Assert.Equal(["user", "assistant", "tool", "tool", "user"], msgs.Select(m => m!["role"]!.GetValue<string>()));
        Assert.Equal("t2", msgs[3]!["tool_call_id"]!.GetValue<string>());
        Assert.Equal("Error: boom", msgs[3]!["content"]!.GetValue<string>());
        Assert.Equal("next", msgs[4]!["content"]!.GetValue<string>());
    }

    [Fact]
    public void P12_foreign_tool_ids_are_rewritten_identically_for_call_and_result()
    {
        var an = OaToAn("""
            {"model":"m","messages":[
              {"role":"user","content":"go"},
              {"role":"assistant","content":null,"tool_calls":[{"id":"functions.Bash:0","type":"function","function":{"name":"Bash","arguments":"{}"}}]},
              {"role":"tool","tool_call_id":"functions.Bash:0","content":"ok"}]}
            """);
        var useId = an["messages"]![1]!["content"]![0]!["id"]!.GetValue<string>();
        var resultId = an["messages"]![2]!["content"]![0]!["tool_use_id"]!.GetValue<string>();
        Assert.Equal(useId, resultId);
        Assert.Matches("^[a-zA-Z0-9_-]+$", useId);
        Assert.StartsWith("functions_Bash_0_", useId, StringComparison.Ordinal);
        Assert.Equal("toolu_01ABC-x", ToolIds.ForAnthropic("toolu_01ABC-x"));
        Assert.NotEqual(ToolIds.ForAnthropic("a.b"), ToolIds.ForAnthropic("a:b"));
    }

    [Fact]
    public void P13_data_url_media_type_follows_the_bytes_and_url_sources_carry_no_media_type()
    {
        const string png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
        var an = OaToAn($$$"""{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,{{{png}}}"}},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}""");
        var blocks = an["messages"]![0]!["content"]!.AsArray();
        Assert.Equal("image/png", blocks[0]!["source"]!["media_type"]!.GetValue<string>());
        Assert.Null(blocks[1]!["source"]!["media_type"]);
        Assert.Equal("url", blocks[1]!["source"]!["type"]!.GetValue<string>());
        var ex = Assert.Throws<ProtocolException>(() => OaToAn("""{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/bmp;base64,Qk0AAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}]}]}"""));
        Assert.Equal(ErrorKind.InvalidRequest, ex.Error.Kind);
    }

    [Fact]
    public void P14_empty_or_non_object_arguments_become_objects()
    {
        Assert.Equal("{}", Json.J.NormalizeArguments(""));
        Assert.Equal("{}", Json.J.NormalizeArguments("   "));
        Assert.Equal("{\"input\":\"plain text\"}", Json.J.NormalizeArguments("plain text"));
        Assert.Equal("{\"input\":\"[1,2]\"}", Json.J.NormalizeArguments("[1,2]"));
        // A zero-argument tool streamed by Anthropic: the OpenAI client's arguments assemble to "{}" via the empty-delta rule on the way back.
        var oa = AnToOa("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"go"},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"ok"}]}]}""");
        Assert.Equal("{}", oa["messages"]![1]!["tool_calls"]![0]!["function"]!["arguments"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void P14_a_streamed_zero_argument_call_reaches_OpenAI_clients_as_an_empty_object_in_any_position(int emptyAt)
    {
        // Three parallel Anthropic tool calls; the one at emptyAt takes no arguments (one empty input_json_delta, or none at all).
        var sse = new StringBuilder();
        sse.Append("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n");
        for (var i = 0; i < 3; i++)
        {
            sse.Append($"event: content_block_start\ndata: {{\"type\":\"content_block_start\",\"index\":{i},\"content_block\":{{\"type\":\"tool_use\",\"id\":\"toolu_{i}\",\"name\":\"f{i}\",\"input\":{{}}}}}}\n\n");
            if (i != emptyAt)
            {
                sse.Append($"event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":{i},\"delta\":{{\"type\":\"input_json_delta\",\"partial_json\":\"{{\\\"n\\\":\"}}}}\n\n");
                sse.Append($"event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":{i},\"delta\":{{\"type\":\"input_json_delta\",\"partial_json\":\"{i}}}\"}}}}\n\n");
            }
            else if (emptyAt != 1)
            {
                sse.Append($"event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":{i},\"delta\":{{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}}}\n\n");
            }
            sse.Append($"event: content_block_stop\ndata: {{\"type\":\"content_block_stop\",\"index\":{i}}}\n\n");
        }
        sse.Append("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":9}}\n\n");
        sse.Append("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");

        using var encoder = new OpenAIStreamEncoder(false, 1);
        var output = Translate(Encoding.UTF8.GetBytes(sse.ToString()), new AnthropicStreamDecoder(), encoder);
        var arguments = new Dictionary<int, StringBuilder>();
        foreach (var evt in ParseSse(output).Where(e => !e.IsDone))
        {
            foreach (var call in JsonNode.Parse(evt.Data.Span)!["choices"]![0]!["delta"]!["tool_calls"]?.AsArray() ?? [])
            {
                var index = call!["index"]!.GetValue<int>();
                arguments.TryAdd(index, new StringBuilder());
                arguments[index].Append(call["function"]?["arguments"]?.GetValue<string>());
            }
        }
        Assert.Equal(3, arguments.Count);
        for (var i = 0; i < 3; i++)
        {
            var parsed = JsonNode.Parse(arguments[i].ToString())!.AsObject();
            Assert.Equal(i == emptyAt ? 0 : 1, parsed.Count);
        }
    }

    [Fact]
    public void P14_a_whole_answer_never_carries_empty_arguments()
    {
        var response = new ChatResponse { Id = "r", Model = "m", FinishReason = FinishReason.ToolUse };
        response.Content.Add(new ToolCallPart { Id = "c1", Name = "f", ArgumentsJson = "" });
        var oa = JsonNode.Parse(OpenAIResponseCodec.Encode(response))!;
        Assert.Equal("{}", oa["choices"]![0]!["message"]!["tool_calls"]![0]!["function"]!["arguments"]!.GetValue<string>());
    }

    [Fact]
    public void P15_max_tokens_is_always_sent_and_exceeds_the_thinking_budget()
    {
        var an = OaToAn("""{"model":"m","messages":[{"role":"user","content":"x"}]}""", new EncodeOptions("c") { DefaultMaxTokens = 4096 });
        Assert.Equal(4096, an["max_tokens"]!.GetValue<int>());
        var thinking = JsonNode.Parse(AnthropicRequestEncoder.Encode(AnthropicRequestDecoder.Decode(
            """{"model":"m","max_tokens":2000,"thinking":{"type":"enabled","budget_tokens":3000},"messages":[{"role":"user","content":"x"}]}"""u8.ToArray()), new EncodeOptions("c")))!;
        Assert.True(thinking["max_tokens"]!.GetValue<int>() > 3000);
        var capped = OaToAn("""{"model":"m","max_tokens":100000,"messages":[{"role":"user","content":"x"}]}""", new EncodeOptions("c") { MaxOutputTokens = 8192 });
        Assert.Equal(8192, capped["max_tokens"]!.GetValue<int>());
    }

    [Fact]
    public void P17_parameters_without_an_equivalent_are_mapped_dropped_or_refused()
    {
        var ex = Assert.Throws<ProtocolException>(() => OaToAn("""{"model":"m","n":3,"messages":[{"role":"user","content":"x"}]}"""));
        Assert.Equal("n", ex.Error.Param);
        var an = OaToAn("""{"model":"m","seed":1,"presence_penalty":1,"logit_bias":{"1":1},"parallel_tool_calls":false,"tools":[{"type":"function","function":{"name":"f"}}],"messages":[{"role":"user","content":"x"}]}""");
        Assert.Null(an["seed"]);
        Assert.Null(an["presence_penalty"]);
        Assert.Null(an["logit_bias"]);
        Assert.True(an["tool_choice"]!["disable_parallel_tool_use"]!.GetValue<bool>());
        var oa = AnToOa("""{"model":"m","max_tokens":5,"tool_choice":{"type":"auto","disable_parallel_tool_use":true},"tools":[{"name":"f","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"x"}]}""");
        Assert.False(oa["parallel_tool_calls"]!.GetValue<bool>());
    }

    [Fact]
    public void P19_temperature_is_clamped_and_sampling_knobs_are_dropped_with_thinking()
    {
        var an = OaToAn("""{"model":"m","temperature":1.8,"top_p":0.5,"messages":[{"role":"user","content":"x"}]}""");
        Assert.Equal(1.0, an["temperature"]!.GetValue<double>());
        Assert.Null(an["top_p"]);
        var thinking = JsonNode.Parse(AnthropicRequestEncoder.Encode(AnthropicRequestDecoder.Decode(
            """{"model":"m","max_tokens":9000,"temperature":0.2,"top_k":5,"thinking":{"type":"enabled","budget_tokens":2000},"messages":[{"role":"user","content":"x"}]}"""u8.ToArray()), new EncodeOptions("c")))!;
        Assert.Null(thinking["temperature"]);
        Assert.Null(thinking["top_k"]);
    }

    [Fact]
    public void P20_forced_tool_choice_disables_thinking()
    {
        var an = OaToAn("""{"model":"m","reasoning_effort":"high","tool_choice":{"type":"function","function":{"name":"f"}},"tools":[{"type":"function","function":{"name":"f"}}],"messages":[{"role":"user","content":"x"}]}""");
        Assert.Null(an["thinking"]);
        Assert.Equal("tool", an["tool_choice"]!["type"]!.GetValue<string>());
        Assert.Equal("f", an["tool_choice"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public void P22_OpenAI_midstream_error_becomes_an_Anthropic_error_event()
    {
        var sse = "data: {\"id\":\"c\",\"model\":\"g\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n" +
                  "data: {\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n";
        using var enc = new AnthropicStreamEncoder();
        var events = ParseSse(Translate(Encoding.UTF8.GetBytes(sse), new OpenAIStreamDecoder(), enc));
        Assert.Equal("error", events[^1].EventType);
        var body = JsonNode.Parse(events[^1].Data.Span)!;
        Assert.Equal("api_error", body["error"]!["type"]!.GetValue<string>());
        Assert.Equal("The server had an error", body["error"]!["message"]!.GetValue<string>());
        Assert.DoesNotContain(events, e => e.EventType == "message_stop");
    }

    [Fact]
    public void P22_a_stream_cut_off_without_its_terminator_ends_in_an_error()
    {
        var sse = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\",\"usage\":{\"input_tokens\":1,\"output_tokens\":0}}}\n\n";
        using var enc = new OpenAIStreamEncoder(false, 1);
        var text = Encoding.UTF8.GetString(Translate(Encoding.UTF8.GetBytes(sse), new AnthropicStreamDecoder(), enc));
        Assert.Contains("\"error\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(529, """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""", ErrorKind.Overloaded, 503, 529)]
    [InlineData(429, """{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}""", ErrorKind.RateLimit, 429, 429)]
    [InlineData(401, """{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}""", ErrorKind.Authentication, 401, 401)]
    [InlineData(500, """{"type":"error","error":{"type":"api_error","message":"Internal"}}""", ErrorKind.Internal, 500, 500)]
    [InlineData(400, """{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}""", ErrorKind.InvalidRequest, 400, 400)]
    [InlineData(404, """{"type":"error","error":{"type":"not_found_error","message":"model"}}""", ErrorKind.NotFound, 404, 404)]
    [InlineData(502, "<html>Bad Gateway</html>", ErrorKind.Overloaded, 503, 529)]
    public void P23_Anthropic_errors_map_to_each_client_protocol(int status, string body, ErrorKind kind, int openAiStatus, int anthropicStatus)
    {
        var e = AnthropicErrors.Decode(status, Encoding.UTF8.GetBytes(body), TimeSpan.FromSeconds(3));
        Assert.Equal(kind, e.Kind);
        Assert.Equal(openAiStatus, OpenAIErrors.Status(e));
        Assert.Equal(anthropicStatus, AnthropicErrors.Status(e));
        var oa = JsonNode.Parse(OpenAIErrors.Encode(e))!["error"]!;
        Assert.NotNull(oa["message"]);
        Assert.True(oa.AsObject().ContainsKey("param") && oa.AsObject().ContainsKey("code") && oa.AsObject().ContainsKey("type"));
    }

    [Fact]
    public void P23_OpenAI_quota_is_not_a_rate_limit_and_429_keeps_its_retry_hint()
    {
        var quota = OpenAIErrors.Decode(429, """{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"""u8, null);
        Assert.Equal(ErrorKind.QuotaExceeded, quota.Kind);
        var limit = OpenAIErrors.Decode(429, """{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}"""u8, TimeSpan.FromSeconds(20));
        Assert.Equal(ErrorKind.RateLimit, limit.Kind);
        Assert.Equal(TimeSpan.FromSeconds(20), limit.RetryAfter);
        var an = JsonNode.Parse(AnthropicErrors.Encode(limit, "req_1"))!;
        Assert.Equal("error", an["type"]!.GetValue<string>());
        Assert.Equal("rate_limit_error", an["error"]!["type"]!.GetValue<string>());
        Assert.Equal("Rate limit reached", an["error"]!["message"]!.GetValue<string>());
        Assert.Equal("req_1", an["request_id"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("end_turn", "stop")]
    [InlineData("stop_sequence", "stop")]
    [InlineData("max_tokens", "length")]
    [InlineData("tool_use", "tool_calls")]
    [InlineData("pause_turn", "stop")]
    [InlineData("refusal", "content_filter")]
    [InlineData("model_context_window_exceeded", "length")]
    public void P24_Anthropic_stop_reasons_map_to_OpenAI_finish_reasons(string anthropic, string openAi) =>
        Assert.Equal(openAi, OpenAIResponseCodec.FinishString(AnthropicResponseCodec.MapStop(anthropic)));

    [Theory]
    [InlineData("stop", "end_turn")]
    [InlineData("length", "max_tokens")]
    [InlineData("tool_calls", "tool_use")]
    [InlineData("function_call", "tool_use")]
    [InlineData("content_filter", "refusal")]
    [InlineData("something_new", "end_turn")]
    public void P24_OpenAI_finish_reasons_map_to_Anthropic_stop_reasons(string openAi, string anthropic) =>
        Assert.Equal(anthropic, AnthropicResponseCodec.StopString(OpenAIResponseCodec.MapFinish(openAi)));

    [Fact]
    public void P24_Anthropic_any_becomes_OpenAI_required()
    {
        var oa = AnToOa("""{"model":"m","max_tokens":5,"tool_choice":{"type":"any"},"tools":[{"name":"f","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"x"}]}""");
        Assert.Equal("required", oa["tool_choice"]!.GetValue<string>());
    }

    [Fact]
    public void P25_cached_tokens_follow_each_protocols_meaning()
    {
        var fromAn = AnthropicResponseCodec.DecodeUsage(JsonDocument.Parse("""{"input_tokens":296,"cache_read_input_tokens":1024,"cache_creation_input_tokens":0,"output_tokens":182}""").RootElement, null);
        Assert.Equal(1320, fromAn.InputTokens);
        var oa = JsonNode.Parse(JsonSerializerUsage(fromAn, anthropic: false))!["usage"]!;
        Assert.Equal(1320, oa["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(1024, oa["prompt_tokens_details"]!["cached_tokens"]!.GetValue<int>());
        Assert.Equal(1502, oa["total_tokens"]!.GetValue<int>());
        var fromOa = OpenAIResponseCodec.DecodeUsage(JsonDocument.Parse("""{"prompt_tokens":1320,"completion_tokens":182,"total_tokens":1502,"prompt_tokens_details":{"cached_tokens":1024}}""").RootElement);
        var an = JsonNode.Parse(JsonSerializerUsage(fromOa, anthropic: true))!["usage"]!;
        Assert.Equal(296, an["input_tokens"]!.GetValue<int>());
        Assert.Equal(1024, an["cache_read_input_tokens"]!.GetValue<int>());
        Assert.Equal(182, an["output_tokens"]!.GetValue<int>());
    }

    private static string JsonSerializerUsage(Usage u, bool anthropic)
    {
        var buf = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buf))
        {
            w.WriteStartObject();
            if (anthropic)
            {
                AnthropicResponseCodec.WriteUsage(w, u);
            }
            else
            {
                OpenAIResponseCodec.WriteUsage(w, u);
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buf.WrittenSpan);
    }

    [Fact]
    public void P26_system_messages_are_top_level_and_later_ones_stay_in_place_as_user_text()
    {
        var an = OaToAn("""{"model":"m","messages":[{"role":"developer","content":"A"},{"role":"user","content":"q"},{"role":"system","content":"B"}]}""");
        Assert.Equal("A", an["system"]!.GetValue<string>());
        Assert.DoesNotContain(an["messages"]!.AsArray(), m => m!["role"]!.GetValue<string>() == "system");
        Assert.Equal("<system>\nB\n</system>", an["messages"]![0]!["content"]![1]!["text"]!.GetValue<string>());
        // Claude Code's role:system message inside messages reaches OpenAI as a system message in place.
        var oa = AnToOa("""{"model":"m","max_tokens":5,"system":"S","messages":[{"role":"user","content":"q"},{"role":"system","content":"later"}]}""");
        Assert.Equal(["system", "user", "system"], oa["messages"]!.AsArray().Select(m => m!["role"]!.GetValue<string>()));
    }

    [Fact]
    public void P26_a_history_that_starts_with_the_assistant_gets_a_user_turn_first()
    {
        var an = OaToAn("""{"model":"m","messages":[{"role":"assistant","content":"Hello"},{"role":"user","content":"hi"}]}""");
        Assert.Equal("user", an["messages"]![0]!["role"]!.GetValue<string>());
        Assert.Equal("assistant", an["messages"]![1]!["role"]!.GetValue<string>());
    }

    [Fact]
    public void P30_cache_control_never_reaches_OpenAI()
    {
        var oa = AnToOa(Encoding.UTF8.GetString(Bytes("an-request-full.json")));
        Assert.DoesNotContain("cache_control", oa.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("context_management", oa.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void OpenAI_compatible_quirks_are_tolerated()
    {
        // DeepSeek-style: reasoning_content, prompt_cache_hit_tokens, extra fields; another server: no usage at all.
        var deepseek = OpenAIResponseCodec.Decode("""{"id":"x","object":"chat.completion","created":1,"model":"deepseek-reasoner","choices":[{"index":0,"message":{"role":"assistant","content":"4","reasoning_content":"2+2"},"finish_reason":"stop","logprobs":null}],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"prompt_cache_hit_tokens":8,"prompt_cache_miss_tokens":2},"x_vendor":{"a":1}}"""u8.ToArray());
        Assert.Equal("2+2", Assert.IsType<ThinkingPart>(deepseek.Content[0]).Text);
        Assert.Null(((ThinkingPart)deepseek.Content[0]).Signature);
        Assert.Equal(8, deepseek.Usage.CacheReadTokens);
        var an = JsonNode.Parse(AnthropicResponseCodec.Encode(deepseek))!;
        Assert.Equal(["text"], an["content"]!.AsArray().Select(b => b!["type"]!.GetValue<string>())); // unsigned thinking is not shown to Anthropic clients
        var bare = OpenAIResponseCodec.Decode("""{"choices":[{"message":{"content":"hi"},"finish_reason":"stop"}]}"""u8.ToArray());
        Assert.Equal("hi", Assert.IsType<TextPart>(bare.Content[0]).Text);
        Assert.Equal(0, bare.Usage.TotalTokens);
        // A stream with no usage chunk and no [DONE] still finishes once finish_reason came.
        var sse = "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\ndata: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";
        using var enc = new AnthropicStreamEncoder();
        var events = ParseSse(Translate(Encoding.UTF8.GetBytes(sse), new OpenAIStreamDecoder(), enc));
        Assert.Equal("message_stop", events[^1].EventType);
    }

    [Fact]
    public void Structured_output_crosses_both_ways()
    {
        var an = OaToAn("""{"model":"m","response_format":{"type":"json_schema","json_schema":{"name":"p","schema":{"type":"object","properties":{"a":{"type":"string"}}},"strict":true}},"messages":[{"role":"user","content":"x"}]}""");
        Assert.Equal("json_schema", an["output_config"]!["format"]!["type"]!.GetValue<string>());
        Assert.Equal("string", an["output_config"]!["format"]!["schema"]!["properties"]!["a"]!["type"]!.GetValue<string>());
        var oa = AnToOa("""{"model":"m","max_tokens":5,"output_config":{"format":{"type":"json_schema","schema":{"type":"object"}}},"messages":[{"role":"user","content":"x"}]}""");
        Assert.Equal("json_schema", oa["response_format"]!["type"]!.GetValue<string>());
        Assert.Equal("object", oa["response_format"]!["json_schema"]!["schema"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public void Anthropic_to_Anthropic_keeps_unmodelled_fields_and_hosted_tools()
    {
        var body = """{"model":"m","max_tokens":5,"context_management":{"edits":[]},"output_config":{"effort":"high"},"thinking":{"type":"adaptive","display":"omitted"},"tools":[{"name":"f","input_schema":{"type":"object"},"defer_loading":true},{"type":"web_search_20250305","name":"web_search","max_uses":3}],"messages":[{"role":"user","content":"x"}]}""";
        var an = JsonNode.Parse(AnthropicRequestEncoder.Encode(AnthropicRequestDecoder.Decode(Encoding.UTF8.GetBytes(body)), new EncodeOptions("m2")))!;
        Assert.Equal("m2", an["model"]!.GetValue<string>());
        Assert.NotNull(an["context_management"]);
        Assert.Equal("high", an["output_config"]!["effort"]!.GetValue<string>());
        Assert.Equal("omitted", an["thinking"]!["display"]!.GetValue<string>());
        Assert.True(an["tools"]![0]!["defer_loading"]!.GetValue<bool>());
        Assert.Equal("web_search_20250305", an["tools"]![1]!["type"]!.GetValue<string>());
        // …and a hosted Anthropic tool cannot be sent to OpenAI silently.
        var oa = OpenAIRequestEncoder.Encode(AnthropicRequestDecoder.Decode(Encoding.UTF8.GetBytes(body)), new EncodeOptions("g"));
        Assert.DoesNotContain("web_search_20250305", Encoding.UTF8.GetString(oa), StringComparison.Ordinal);
    }
}

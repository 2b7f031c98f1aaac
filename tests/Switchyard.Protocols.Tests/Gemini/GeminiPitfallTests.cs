using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Switchyard.Protocols.Anthropic;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Gemini;
using Switchyard.Protocols.OpenAI;
using Xunit;
using static Switchyard.Protocols.Tests.GoldenFiles;

namespace Switchyard.Protocols.Tests.Gemini;

/// <summary>The PITFALLS.md rules that concern Gemini, one test (or more) each.</summary>
public sealed class GeminiPitfallTests
{
    private static readonly HashSet<string> GeminiSchemaKeys =
    [
        "type", "format", "title", "description", "nullable", "enum", "items", "minItems", "maxItems", "properties", "required",
        "minProperties", "maxProperties", "minLength", "maxLength", "pattern", "example", "anyOf", "propertyOrdering", "default", "minimum", "maximum",
    ];

    private static JsonNode OaToGe(string body) =>
        JsonNode.Parse(GeminiRequestEncoder.Encode(OpenAIRequestDecoder.Decode(Encoding.UTF8.GetBytes(body)), new EncodeOptions("g")))!;

    private static JsonNode AnToGe(string body) =>
        JsonNode.Parse(GeminiRequestEncoder.Encode(AnthropicRequestDecoder.Decode(Encoding.UTF8.GetBytes(body)), new EncodeOptions("g")))!;

    /// <summary>Every key of a schema (under properties: the values' keys) is in Gemini's allow-list.</summary>
    internal static void AssertGeminiSchema(JsonNode? node, string path)
    {
        if (node is not JsonObject obj)
        {
            return;
        }
        foreach (var (key, value) in obj)
        {
            Assert.True(GeminiSchemaKeys.Contains(key), $"'{key}' at {path} is not a Gemini schema field");
            switch (key)
            {
                case "properties":
                    foreach (var (name, prop) in value!.AsObject())
                    {
                        AssertGeminiSchema(prop, $"{path}.properties.{name}");
                    }
                    break;
                case "items":
                    AssertGeminiSchema(value, path + ".items");
                    break;
                case "anyOf":
                    foreach (var option in value!.AsArray())
                    {
                        AssertGeminiSchema(option, path + ".anyOf");
                    }
                    break;
                case "type":
                    Assert.Equal(JsonValueKind.String, value!.GetValueKind());
                    break;
                case "enum":
                    Assert.All(value!.AsArray(), e => Assert.Equal(JsonValueKind.String, e!.GetValueKind()));
                    Assert.Equal("string", obj["type"]?.GetValue<string>());
                    break;
            }
        }
    }

    public static TheoryData<string> Captures() => new() { "v2.1.197-first-turn.json", "v2.1.197-tool-result-turn.json", "v2.1.330-structure.json" };

    [Theory]
    [MemberData(nameof(Captures))]
    public void P2_P3_P4_every_Claude_Code_tool_schema_fits_Gemini(string capture)
    {
        var body = File.ReadAllBytes(CapturePath(capture));
        var ge = JsonNode.Parse(GeminiRequestEncoder.Encode(AnthropicRequestDecoder.Decode(body), new EncodeOptions("gemini-2.5-pro")))!;
        var declarations = ge["tools"]![0]!["functionDeclarations"]!.AsArray();
        Assert.True(declarations.Count >= 10);
        foreach (var d in declarations)
        {
            AssertGeminiSchema(d!["parameters"], d["name"]!.GetValue<string>());
        }
        Assert.DoesNotContain("cache_control", ge.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("user", ge["contents"]![0]!["role"]!.GetValue<string>());
    }

    /// <summary>A Claude Code request recorded into the repository (tests/fixtures/claude-code, copied beside the tests).</summary>
    internal static string CapturePath(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "claude-code", name);

    [Fact]
    public void P3_P4_enums_and_type_unions()
    {
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"a":{"type":"integer","enum":[1,7,30]},"b":{"enum":["x","y"]},"c":{"type":["string","integer","null"]},"d":{"oneOf":[{"type":"string"},{"type":"number"}]},"e":{"allOf":[{"type":"object","properties":{"p":{"type":"string"}}},{"required":["p"]}]}}}""").RootElement;
        var cleaned = GeminiSchema.Sanitize(schema)!;
        var props = cleaned["properties"]!;
        Assert.Null(props["a"]!["enum"]);
        Assert.Equal("string", props["b"]!["type"]!.GetValue<string>());
        Assert.True(props["c"]!["nullable"]!.GetValue<bool>());
        Assert.Equal(2, props["c"]!["anyOf"]!.AsArray().Count);
        Assert.Equal(2, props["d"]!["anyOf"]!.AsArray().Count);
        Assert.Equal("p", props["e"]!["required"]![0]!.GetValue<string>());
        AssertGeminiSchema(cleaned, "root");
    }

    [Fact]
    public void P2_recursive_refs_are_cut_off()
    {
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"node":{"$ref":"#/$defs/N"}},"$defs":{"N":{"type":"object","properties":{"child":{"$ref":"#/$defs/N"}}}}}""").RootElement;
        var cleaned = GeminiSchema.Sanitize(schema)!;
        AssertGeminiSchema(cleaned, "root");
        Assert.DoesNotContain("$ref", cleaned.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void P6_a_call_means_a_tool_stop_even_when_Gemini_says_STOP()
    {
        var resp = GeminiResponseCodec.Decode("""{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{}}}],"role":"model"},"finishReason":"STOP"}]}"""u8.ToArray());
        Assert.Equal(FinishReason.ToolUse, resp.FinishReason);
        Assert.Equal("tool_calls", OpenAIResponseCodec.FinishString(resp.FinishReason));
    }

    [Fact]
    public void P7_usage_snapshots_are_not_summed_and_countless_chunks_are_ignored()
    {
        var sse = "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}],\"usageMetadata\":{\"promptTokenCount\":10,\"candidatesTokenCount\":1,\"totalTokenCount\":11}}\n\n" +
                  "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"b\"}]},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":10,\"candidatesTokenCount\":2,\"totalTokenCount\":12}}\n\n" +
                  "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"\"}]}}],\"usageMetadata\":{}}\n\n";
        using var enc = new AnthropicStreamEncoder();
        var events = ParseSse(Translate(Encoding.UTF8.GetBytes(sse), new GeminiStreamDecoder(), enc));
        var delta = JsonNode.Parse(events.Single(e => e.EventType == "message_delta").Data.Span)!;
        Assert.Equal(10, delta["usage"]!["input_tokens"]!.GetValue<int>());
        Assert.Equal(2, delta["usage"]!["output_tokens"]!.GetValue<int>());
        Assert.Equal("message_stop", events[^1].EventType);
    }

    [Fact]
    public void P11_histories_start_with_a_user_turn_and_same_role_turns_merge()
    {
        var ge = OaToGe("""{"model":"m","messages":[{"role":"assistant","content":"Hi"},{"role":"user","content":"a"},{"role":"user","content":"b"}]}""");
        var contents = ge["contents"]!.AsArray();
        Assert.Equal(["user", "model", "user"], contents.Select(c => c!["role"]!.GetValue<string>()));
        Assert.Equal(2, contents[2]!["parts"]!.AsArray().Count);
    }

    [Fact]
    public void P16_MAX_TOKENS_without_parts_is_an_empty_length_answer()
    {
        var resp = GeminiResponseCodec.Decode("""{"candidates":[{"content":{"role":"model"},"finishReason":"MAX_TOKENS","index":0}],"usageMetadata":{"promptTokenCount":5,"totalTokenCount":105,"thoughtsTokenCount":100}}"""u8.ToArray());
        Assert.Empty(resp.Content);
        Assert.Equal("length", OpenAIResponseCodec.FinishString(resp.FinishReason));
        Assert.Equal("max_tokens", AnthropicResponseCodec.StopString(resp.FinishReason));
        Assert.Equal(100, resp.Usage.OutputTokens);
    }

    [Fact]
    public void P21_json_mode_without_tools_becomes_responseSchema()
    {
        var ge = OaToGe("""{"model":"m","response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}}},"messages":[{"role":"user","content":"x"}]}""");
        Assert.Equal("application/json", ge["generationConfig"]!["responseMimeType"]!.GetValue<string>());
        AssertGeminiSchema(ge["generationConfig"]!["responseSchema"], "responseSchema");
    }

    [Theory]
    [InlineData(400, """{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}""", ErrorKind.Authentication, null)]
    [InlineData(429, """{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"15s"}]}}""", ErrorKind.RateLimit, 15)]
    [InlineData(503, """{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}""", ErrorKind.Overloaded, null)]
    [InlineData(500, """[{"error":{"code":500,"message":"Internal error","status":"INTERNAL"}}]""", ErrorKind.Internal, null)]
    public void P23_Gemini_errors_are_classified_by_status_and_reason(int status, string body, ErrorKind kind, int? retrySeconds)
    {
        var e = GeminiErrors.Decode(status, Encoding.UTF8.GetBytes(body), null);
        Assert.Equal(kind, e.Kind);
        Assert.Equal(retrySeconds is { } s ? TimeSpan.FromSeconds(s) : null, e.RetryAfter);
        if (kind == ErrorKind.Authentication)
        {
            Assert.Equal(401, OpenAIErrors.Status(e));
            Assert.Equal(401, AnthropicErrors.Status(e));
        }
    }

    [Fact]
    public void P23_gateway_errors_reach_Gemini_clients_as_google_rpc_status()
    {
        var body = JsonNode.Parse(GeminiErrors.Encode(new GatewayError(ErrorKind.Overloaded, "Overloaded") { RetryAfter = TimeSpan.FromSeconds(4) }))!["error"]!;
        Assert.Equal(503, body["code"]!.GetValue<int>());
        Assert.Equal("UNAVAILABLE", body["status"]!.GetValue<string>());
        Assert.Equal("4s", body["details"]![0]!["retryDelay"]!.GetValue<string>());
        Assert.Equal((400, "INVALID_ARGUMENT"), GeminiErrors.StatusOf(new GatewayError(ErrorKind.RequestTooLarge, "big")));
    }

    [Fact]
    public void P27_signatures_return_to_their_parts_and_foreign_histories_get_the_bypass_once_per_step()
    {
        // Through an OpenAI client: the signature rides extra_content.google.thought_signature.
        var ge = OaToGe("""{"model":"m","messages":[{"role":"user","content":"go"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"},"extra_content":{"google":{"thought_signature":"REAL-SIG"}}},{"id":"c2","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"a"},{"role":"tool","tool_call_id":"c2","content":"b"}]}""");
        var parts = ge["contents"]![1]!["parts"]!.AsArray();
        Assert.Equal("REAL-SIG", parts[0]!["thoughtSignature"]!.GetValue<string>());
        Assert.Null(parts[1]!["thoughtSignature"]);
        // A history from another provider: the first call of each step carries Google's bypass value.
        var foreign = AnToGe("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"go"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{}},{"type":"tool_use","id":"t2","name":"f","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"a"},{"type":"tool_result","tool_use_id":"t2","content":"b"}]}]}""");
        var calls = foreign["contents"]![1]!["parts"]!.AsArray();
        Assert.Equal(GeminiRequestEncoder.SignatureBypass, calls[0]!["thoughtSignature"]!.GetValue<string>());
        Assert.Null(calls[1]!["thoughtSignature"]);
        // …and a Gemini signature never reaches Anthropic.
        var an = AnthropicRequestEncoder.Encode(OpenAIRequestDecoder.Decode("""{"model":"m","messages":[{"role":"user","content":"go"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"},"extra_content":{"google":{"thought_signature":"REAL-SIG"}}}]},{"role":"tool","tool_call_id":"c1","content":"a"}]}"""u8.ToArray()), new EncodeOptions("c"));
        Assert.DoesNotContain("REAL-SIG", Encoding.UTF8.GetString(an), StringComparison.Ordinal);
    }

    [Fact]
    public void P28_both_casings_are_read_and_only_camelCase_is_written()
    {
        var req = GeminiRequestDecoder.Decode("""{"system_instruction":{"parts":[{"text":"S"}]},"contents":[{"role":"user","parts":[{"text":"x"}]}],"generation_config":{"max_output_tokens":7,"stop_sequences":["Z"]}}"""u8.ToArray(), "g", false);
        Assert.Equal("S", req.System[0].Text);
        Assert.Equal(7, req.MaxTokens);
        var ge = Encoding.UTF8.GetString(GeminiRequestEncoder.Encode(req, new EncodeOptions("g")));
        Assert.Contains("\"systemInstruction\"", ge, StringComparison.Ordinal);
        Assert.DoesNotContain("system_instruction", ge, StringComparison.Ordinal);
        Assert.Contains("\"maxOutputTokens\":7", ge, StringComparison.Ordinal);
    }

    [Fact]
    public void P29_prompt_blocks_become_content_filter_and_refusal()
    {
        var resp = GeminiResponseCodec.Decode("""{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{"promptTokenCount":12,"totalTokenCount":12}}"""u8.ToArray());
        Assert.Empty(resp.Content);
        Assert.Equal("content_filter", OpenAIResponseCodec.FinishString(resp.FinishReason));
        Assert.Equal("refusal", AnthropicResponseCodec.StopString(resp.FinishReason));
        Assert.Equal(FinishReason.ContentFilter, GeminiResponseCodec.MapFinish("RECITATION", false));
        Assert.Equal(FinishReason.ContentFilter, GeminiResponseCodec.MapFinish("SPII", false));
        Assert.Equal(FinishReason.EndTurn, GeminiResponseCodec.MapFinish("MALFORMED_FUNCTION_CALL", false));
    }

    [Fact]
    public void P31_function_responses_are_objects_and_errors_use_the_error_key()
    {
        var ge = AnToGe("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"go"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"a","input":{}},{"type":"tool_use","id":"t2","name":"b","input":{}},{"type":"tool_use","id":"t3","name":"c","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"plain"},{"type":"tool_result","tool_use_id":"t2","content":"{\"ok\":true}"},{"type":"tool_result","tool_use_id":"t3","content":"boom","is_error":true}]}]}""");
        var responses = ge["contents"]![2]!["parts"]!.AsArray().Select(p => p!["functionResponse"]!).ToList();
        Assert.Equal(["a", "b", "c"], responses.Select(r => r["name"]!.GetValue<string>()));
        Assert.Equal("plain", responses[0]["response"]!["output"]!.GetValue<string>());
        Assert.True(responses[1]["response"]!["ok"]!.GetValue<bool>());
        Assert.Equal("boom", responses[2]["response"]!["error"]!.GetValue<string>());
    }

    [Fact]
    public void Gemini_hosted_tools_and_unmodelled_generation_knobs_survive_Gemini_to_Gemini()
    {
        var req = GeminiRequestDecoder.Decode("""{"contents":[{"parts":[{"text":"x"}]}],"tools":[{"googleSearch":{}}],"safetySettings":[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}],"generationConfig":{"seed":5,"responseModalities":["TEXT"]}}"""u8.ToArray(), "g", false);
        var ge = JsonNode.Parse(GeminiRequestEncoder.Encode(req, new EncodeOptions("g")))!;
        Assert.NotNull(ge["tools"]![0]!["googleSearch"]);
        Assert.Equal(5, ge["generationConfig"]!["seed"]!.GetValue<int>());
        Assert.NotNull(ge["safetySettings"]);
        // Google Search has an equivalent at Anthropic (its web search tool); code execution has none: refused.
        var an = JsonNode.Parse(AnthropicRequestEncoder.Encode(req, new EncodeOptions("c")))!;
        Assert.Equal("web_search_20250305", an["tools"]![0]!["type"]!.GetValue<string>());
        var code = GeminiRequestDecoder.Decode("""{"contents":[{"parts":[{"text":"x"}]}],"tools":[{"codeExecution":{}}]}"""u8.ToArray(), "g", false);
        Assert.Throws<ProtocolException>(() => AnthropicRequestEncoder.Encode(code, new EncodeOptions("c")));
    }
}

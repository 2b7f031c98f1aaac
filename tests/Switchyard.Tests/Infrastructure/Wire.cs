namespace Switchyard.Tests.Infrastructure;

/// <summary>Upstream bodies in the providers' real wire formats (shapes from the official API references).</summary>
public static class Wire
{
    public const string Text = "Hello from upstream!";

    public static class OpenAI
    {
        private const string Head = "\"id\":\"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT\",\"object\":\"chat.completion.chunk\",\"created\":1741569952,\"model\":\"gpt-4o-mini-2024-07-18\",\"service_tier\":\"default\",\"system_fingerprint\":\"fp_06737a9306\"";

        public const string TextResponse = """
            {"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion","created":1741569952,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from upstream!","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_06737a9306"}
            """;

        public const string ToolResponse = """
            {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion","created":1741570283,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_Paris1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},{"id":"call_Tokyo2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Tokyo\"}"}}],"refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":82,"completion_tokens":44,"total_tokens":126,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_06737a9306"}
            """;

        public static readonly string TextStream = string.Concat(
            $"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}},\"logprobs\":null,\"finish_reason\":null}}],\"usage\":null}}\n\n",
            $"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"Hello\"}},\"logprobs\":null,\"finish_reason\":null}}],\"usage\":null}}\n\n",
            $"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\" from\"}},\"logprobs\":null,\"finish_reason\":null}}],\"usage\":null}}\n\n",
            $"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\" upstream!\"}},\"logprobs\":null,\"finish_reason\":null}}],\"usage\":null}}\n\n",
            $"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{}},\"logprobs\":null,\"finish_reason\":\"stop\"}}],\"usage\":null}}\n\n",
            $"data: {{{Head},\"choices\":[],\"usage\":{{\"prompt_tokens\":19,\"completion_tokens\":10,\"total_tokens\":29,\"prompt_tokens_details\":{{\"cached_tokens\":0,\"audio_tokens\":0}},\"completion_tokens_details\":{{\"reasoning_tokens\":0,\"audio_tokens\":0,\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}}}}}\n\n",
            "data: [DONE]\n\n");

        public static readonly string ToolStream = string.Concat(
            $"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"role\":\"assistant\",\"content\":null}},\"logprobs\":null,\"finish_reason\":null}}],\"usage\":null}}\n\n",
            $"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"tool_calls\":[{{\"index\":0,\"id\":\"call_Paris1\",\"type\":\"function\",\"function\":{{\"name\":\"get_weather\",\"arguments\":\"\"}}}}]}},\"logprobs\":null,\"finish_reason\":null}}],\"usage\":null}}\n\n",
            $"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"tool_calls\":[{{\"index\":0,\"function\":{{\"arguments\":\"{{\\\"city\\\":\"}}}}]}},\"logprobs\":null,\"finish_reason\":null}}],\"usage\":null}}\n\n",
            $"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"tool_calls\":[{{\"index\":0,\"function\":{{\"arguments\":\"\\\"Paris\\\"}}\"}}}}]}},\"logprobs\":null,\"finish_reason\":null}}],\"usage\":null}}\n\n",
            $"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"tool_calls\":[{{\"index\":1,\"id\":\"call_Tokyo2\",\"type\":\"function\",\"function\":{{\"name\":\"get_weather\",\"arguments\":\"\"}}}}]}},\"logprobs\":null,\"finish_reason\":null}}],\"usage\":null}}\n\n",
            $"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"tool_calls\":[{{\"index\":1,\"function\":{{\"arguments\":\"{{\\\"city\\\":\\\"Tokyo\\\"}}\"}}}}]}},\"logprobs\":null,\"finish_reason\":null}}],\"usage\":null}}\n\n",
            $"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{}},\"logprobs\":null,\"finish_reason\":\"tool_calls\"}}],\"usage\":null}}\n\n",
            $"data: {{{Head},\"choices\":[],\"usage\":{{\"prompt_tokens\":82,\"completion_tokens\":44,\"total_tokens\":126}}}}\n\n",
            "data: [DONE]\n\n");

        public const string RateLimitError = """
            {"error":{"message":"Rate limit reached for gpt-4o-mini in organization org-abc on requests per min (RPM): Limit 3, Used 3, Requested 1.","type":"requests","param":null,"code":"rate_limit_exceeded"}}
            """;
    }

    public static class Anthropic
    {
        public const string TextResponse = """
            {"id":"msg_013Zva2CMHLNnXjNJJKqJ2EF","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"Hello from upstream!"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":8,"service_tier":"standard"}}
            """;

        public const string ToolResponse = """
            {"id":"msg_01Aq9w938a90dw8q","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"I'll check both cities."},{"type":"tool_use","id":"toolu_01Paris","name":"get_weather","input":{"city":"Paris"}},{"type":"tool_use","id":"toolu_02Tokyo","name":"get_weather","input":{"city":"Tokyo"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":380,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":120}}
            """;

        private const string Start = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-sonnet-4-5-20250929\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":25,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":1}}}\n\n";

        public static readonly string TextStream = string.Concat(
            Start,
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
            "event: ping\ndata: {\"type\": \"ping\"}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" from upstream!\"}}\n\n",
            "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
            "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}\n\n",
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");

        public static readonly string ToolStream = string.Concat(
            Start,
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"I'll check both cities.\"}}\n\n",
            "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_01Paris\",\"name\":\"get_weather\",\"input\":{}}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"city\\\": \\\"Pa\"}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"ris\\\"}\"}}\n\n",
            "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n",
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_02Tokyo\",\"name\":\"get_weather\",\"input\":{}}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"city\\\": \\\"Tokyo\\\"}\"}}\n\n",
            "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":2}\n\n",
            "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":89}}\n\n",
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");

        public const string RateLimitError = """
            {"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}
            """;
    }

    public static class Gemini
    {
        private const string Tail = "\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"Qo3ZaLmSGsmvz7IPh5fW4AM\"";

        public const string TextResponse = """
            {"candidates":[{"content":{"parts":[{"text":"Hello from upstream!"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":5,"totalTokenCount":34,"promptTokensDetails":[{"modality":"TEXT","tokenCount":9}],"thoughtsTokenCount":20},"modelVersion":"gemini-2.5-flash","responseId":"Qo3ZaLmSGsmvz7IPh5fW4AM"}
            """;

        public const string ToolResponse = """
            {"candidates":[{"content":{"parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}},"thoughtSignature":"CiQB0e2Kb7sig"},{"functionCall":{"name":"get_weather","args":{"city":"Tokyo"}}}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":60,"candidatesTokenCount":30,"totalTokenCount":90},"modelVersion":"gemini-2.5-flash","responseId":"Qo3ZaLmSGsmvz7IPh5fW4AM"}
            """;

        /// <summary>Stream chunks (one GenerateContentResponse each), as sent with alt=sse or in the JSON array.</summary>
        public static readonly string[] TextChunks =
        [
            $"{{\"candidates\":[{{\"content\":{{\"parts\":[{{\"text\":\"Hello\"}}],\"role\":\"model\"}},\"index\":0}}],\"usageMetadata\":{{\"promptTokenCount\":9,\"totalTokenCount\":9}},{Tail}}}",
            $"{{\"candidates\":[{{\"content\":{{\"parts\":[{{\"text\":\" from upstream!\"}}],\"role\":\"model\"}},\"finishReason\":\"STOP\",\"index\":0}}],\"usageMetadata\":{{\"promptTokenCount\":9,\"candidatesTokenCount\":5,\"totalTokenCount\":14}},{Tail}}}",
        ];

        public static readonly string[] ToolChunks =
        [
            $"{{\"candidates\":[{{\"content\":{{\"parts\":[{{\"functionCall\":{{\"name\":\"get_weather\",\"args\":{{\"city\":\"Paris\"}}}},\"thoughtSignature\":\"CiQB0e2Kb7sig\"}}],\"role\":\"model\"}},\"index\":0}}],{Tail}}}",
            $"{{\"candidates\":[{{\"content\":{{\"parts\":[{{\"functionCall\":{{\"name\":\"get_weather\",\"args\":{{\"city\":\"Tokyo\"}}}}}}],\"role\":\"model\"}},\"index\":0}}],{Tail}}}",
            $"{{\"candidates\":[{{\"content\":{{\"parts\":[{{\"text\":\"\"}}],\"role\":\"model\"}},\"finishReason\":\"STOP\",\"index\":0}}],\"usageMetadata\":{{\"promptTokenCount\":60,\"candidatesTokenCount\":30,\"totalTokenCount\":90}},{Tail}}}",
        ];

        public const string RateLimitError = """
            {"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"3s"}]}}
            """;
    }

    /// <summary>OpenAI's Responses API (<c>POST /v1/responses</c>): whole responses and event streams.</summary>
    public static class Responses
    {
        private const string Settings = "\"parallel_tool_calls\":true,\"previous_response_id\":null,\"reasoning\":{\"effort\":null,\"summary\":null},\"store\":false,\"temperature\":1.0,\"text\":{\"format\":{\"type\":\"text\"}},\"tool_choice\":\"auto\",\"tools\":[],\"top_p\":1.0,\"truncation\":\"disabled\",\"user\":null,\"metadata\":{}";

        public static readonly string TextResponse = "{\"id\":\"resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b\",\"object\":\"response\",\"created_at\":1741476542,\"status\":\"completed\",\"error\":null,\"incomplete_details\":null,\"instructions\":null,\"max_output_tokens\":null,\"model\":\"gpt-4.1-2025-04-14\",\"output\":[{\"type\":\"message\",\"id\":\"msg_67ccd2bf17f0819081ff3bb2cf6508e60bb6a6b452d3795b\",\"status\":\"completed\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"Hello from upstream!\",\"annotations\":[]}]}]," + Settings + ",\"usage\":{\"input_tokens\":36,\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":87,\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":123}}";

        public static readonly string ToolResponse = "{\"id\":\"resp_67ccf18ef5fc8190b16dbee19bc54e5f087bb177ab789d5c\",\"object\":\"response\",\"created_at\":1741484430,\"status\":\"completed\",\"error\":null,\"incomplete_details\":null,\"instructions\":null,\"max_output_tokens\":null,\"model\":\"gpt-4.1-2025-04-14\",\"output\":[{\"type\":\"function_call\",\"id\":\"fc_67ccf18f64008190a39b619f4c8455ef087bb177ab789d5c\",\"call_id\":\"call_Paris1\",\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\",\"status\":\"completed\"},{\"type\":\"function_call\",\"id\":\"fc_67ccf19c1ac08190a1cdd8c60b1a7f5b087bb177ab789d5c\",\"call_id\":\"call_Tokyo2\",\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Tokyo\\\"}\",\"status\":\"completed\"}]," + Settings + ",\"usage\":{\"input_tokens\":291,\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":23,\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":314}}";

        private static string Event(string type, string json) => $"event: {type}\ndata: {{\"type\":\"{type}\",{json}}}\n\n";

        private static string Head(int seq, string id, string status) =>
            $"\"sequence_number\":{seq},\"response\":{{\"id\":\"{id}\",\"object\":\"response\",\"created_at\":1741290958,\"status\":\"{status}\",\"error\":null,\"incomplete_details\":null,\"instructions\":null,\"max_output_tokens\":null,\"model\":\"gpt-4.1-2025-04-14\",\"output\":[]," + Settings + ",\"usage\":null}";

        private const string StreamId = "resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654";
        private const string MessageItem = "{\"id\":\"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654\",\"type\":\"message\",\"status\":\"completed\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"Hello from upstream!\",\"annotations\":[]}]}";

        public static readonly string TextStream = string.Concat(
            Event("response.created", Head(0, StreamId, "in_progress")),
            Event("response.in_progress", Head(1, StreamId, "in_progress")),
            Event("response.output_item.added", "\"sequence_number\":2,\"output_index\":0,\"item\":{\"id\":\"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654\",\"type\":\"message\",\"status\":\"in_progress\",\"role\":\"assistant\",\"content\":[]}"),
            Event("response.content_part.added", "\"sequence_number\":3,\"item_id\":\"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654\",\"output_index\":0,\"content_index\":0,\"part\":{\"type\":\"output_text\",\"text\":\"\",\"annotations\":[]}"),
            Event("response.output_text.delta", "\"sequence_number\":4,\"item_id\":\"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654\",\"output_index\":0,\"content_index\":0,\"delta\":\"Hello\""),
            Event("response.output_text.delta", "\"sequence_number\":5,\"item_id\":\"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654\",\"output_index\":0,\"content_index\":0,\"delta\":\" from upstream!\""),
            Event("response.output_text.done", "\"sequence_number\":6,\"item_id\":\"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654\",\"output_index\":0,\"content_index\":0,\"text\":\"Hello from upstream!\""),
            Event("response.content_part.done", "\"sequence_number\":7,\"item_id\":\"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654\",\"output_index\":0,\"content_index\":0,\"part\":{\"type\":\"output_text\",\"text\":\"Hello from upstream!\",\"annotations\":[]}"),
            Event("response.output_item.done", "\"sequence_number\":8,\"output_index\":0,\"item\":" + MessageItem),
            Event("response.completed", Head(9, StreamId, "completed").Replace("\"output\":[]", "\"output\":[" + MessageItem + "]", StringComparison.Ordinal)
                .Replace("\"usage\":null", "\"usage\":{\"input_tokens\":37,\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":11,\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":48}", StringComparison.Ordinal)));

        private const string ParisItem = "{\"id\":\"fc_1\",\"type\":\"function_call\",\"status\":\"completed\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\",\"call_id\":\"call_Paris1\",\"name\":\"get_weather\"}";
        private const string TokyoItem = "{\"id\":\"fc_2\",\"type\":\"function_call\",\"status\":\"completed\",\"arguments\":\"{\\\"city\\\":\\\"Tokyo\\\"}\",\"call_id\":\"call_Tokyo2\",\"name\":\"get_weather\"}";

        /// <summary>Two calls: Paris's arguments in deltas, Tokyo's only in <c>.done</c> (a pitfall some servers hit).</summary>
        public static readonly string ToolStream = string.Concat(
            Event("response.created", Head(0, StreamId, "in_progress")),
            Event("response.in_progress", Head(1, StreamId, "in_progress")),
            Event("response.output_item.added", "\"sequence_number\":2,\"output_index\":0,\"item\":{\"id\":\"fc_1\",\"type\":\"function_call\",\"status\":\"in_progress\",\"arguments\":\"\",\"call_id\":\"call_Paris1\",\"name\":\"get_weather\"}"),
            Event("response.function_call_arguments.delta", "\"sequence_number\":3,\"item_id\":\"fc_1\",\"output_index\":0,\"delta\":\"{\\\"city\\\":\""),
            Event("response.function_call_arguments.delta", "\"sequence_number\":4,\"item_id\":\"fc_1\",\"output_index\":0,\"delta\":\"\\\"Paris\\\"}\""),
            Event("response.function_call_arguments.done", "\"sequence_number\":5,\"item_id\":\"fc_1\",\"output_index\":0,\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\""),
            Event("response.output_item.done", "\"sequence_number\":6,\"output_index\":0,\"item\":" + ParisItem),
            Event("response.output_item.added", "\"sequence_number\":7,\"output_index\":1,\"item\":{\"id\":\"fc_2\",\"type\":\"function_call\",\"status\":\"in_progress\",\"arguments\":\"\",\"call_id\":\"call_Tokyo2\",\"name\":\"get_weather\"}"),
            Event("response.function_call_arguments.done", "\"sequence_number\":8,\"item_id\":\"fc_2\",\"output_index\":1,\"arguments\":\"{\\\"city\\\":\\\"Tokyo\\\"}\""),
            Event("response.output_item.done", "\"sequence_number\":9,\"output_index\":1,\"item\":" + TokyoItem),
            Event("response.completed", Head(10, StreamId, "completed").Replace("\"output\":[]", "\"output\":[" + ParisItem + "," + TokyoItem + "]", StringComparison.Ordinal)
                .Replace("\"usage\":null", "\"usage\":{\"input_tokens\":291,\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":23,\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":314}", StringComparison.Ordinal)));

        public const string RateLimitError = """
            {"error":{"message":"Rate limit reached for gpt-4.1 in organization org-abc on tokens per min (TPM): Limit 30000, Used 30000, Requested 500. Please try again in 1s.","type":"tokens","param":null,"code":"rate_limit_exceeded"}}
            """;
    }
}

using System.Text;

namespace Switchyard.Bench;

/// <summary>Fixed bodies the fake upstream answers with and the load generator sends.</summary>
internal static class Wire
{
    public static readonly byte[] OpenAIResponse = Encoding.UTF8.GetBytes("""
        {"id":"chatcmpl-bench","object":"chat.completion","created":1741569952,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the bench upstream! This answer is about as long as a short chat reply.","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":19,"completion_tokens":18,"total_tokens":37,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}
        """);

    public static readonly byte[] AnthropicResponse = Encoding.UTF8.GetBytes("""
        {"id":"msg_bench","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Hello from the bench upstream! This answer is about as long as a short chat reply."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":19,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":18}}
        """);

    /// <param name="chunks">The fake upstream streams this many events (read from the prompt; default 20).</param>
    public static string OpenAIRequest(string model, bool stream = false, int? chunks = null) =>
        $$"""{"model":"{{model}}","max_tokens":64,{{(stream ? "\"stream\":true,\"stream_options\":{\"include_usage\":true}," : "")}}"messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Say hello to the benchmark in one short sentence, please.{{(chunks is { } n ? $" chunks={n}" : "")}}"}]}""";

    public static string AnthropicRequest(string model, bool stream = false, int? chunks = null) =>
        $$"""{"model":"{{model}}","max_tokens":64,{{(stream ? "\"stream\":true," : "")}}"system":"You are a helpful assistant.","messages":[{"role":"user","content":"Say hello to the benchmark in one short sentence, please.{{(chunks is { } n ? $" chunks={n}" : "")}}"}]}""";

    public static byte[] OpenAIChunk(int i) => Encoding.UTF8.GetBytes(
        $"data: {{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-mini\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"tok{i} \"}},\"logprobs\":null,\"finish_reason\":null}}]}}\n\n");

    public static readonly byte[] OpenAIStreamEnd = Encoding.UTF8.GetBytes(
        "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}\n\n" +
        "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-mini\",\"choices\":[],\"usage\":{\"prompt_tokens\":19,\"completion_tokens\":18,\"total_tokens\":37}}\n\ndata: [DONE]\n\n");

    public static readonly byte[] AnthropicStreamStart = Encoding.UTF8.GetBytes(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_bench\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":19,\"output_tokens\":1}}}\n\n" +
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");

    public static byte[] AnthropicChunk(int i) => Encoding.UTF8.GetBytes(
        $"event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":\"tok{i} \"}}}}\n\n");

    public static readonly byte[] AnthropicStreamEnd = Encoding.UTF8.GetBytes(
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":18}}\n\n" +
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
}

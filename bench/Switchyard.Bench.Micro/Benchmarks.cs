using Switchyard.Inbound;
using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using Switchyard.Dispatch;
using Switchyard.Protocols.Anthropic;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.OpenAI;
using Switchyard.Protocols.Sse;

namespace Switchyard.Bench.Micro;

[MemoryDiagnoser]
public class RequestBenchmarks
{
    private static readonly byte[] OpenAIBody = Encoding.UTF8.GetBytes("""
        {"model":"gpt-4o","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"What's the weather in Paris and Tokyo?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},{"role":"tool","tool_call_id":"call_1","content":"18C"}],"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}],"max_tokens":512,"temperature":0.7,"stream":true}
        """);

    private readonly ChatRequest _decoded = OpenAIRequestDecoder.Decode(OpenAIBody);
    private readonly EncodeOptions _options = new("claude-sonnet-4-5");

    /// <summary>The fast path's only look at a request: validate, find model and stream.</summary>
    [Benchmark]
    public int Sniff() => RequestSniff.Sniff(OpenAIBody, InputLimits.Default).ModelLength;

    [Benchmark]
    public int DecodeOpenAIRequest() => OpenAIRequestDecoder.Decode(OpenAIBody).Messages.Count;

    [Benchmark]
    public int EncodeAnthropicRequest() => AnthropicRequestEncoder.Encode(_decoded, _options).Length;

    /// <summary>The whole request translation an OpenAI client → Anthropic upstream costs.</summary>
    [Benchmark]
    public int TranslateRequest() => AnthropicRequestEncoder.Encode(OpenAIRequestDecoder.Decode(OpenAIBody), _options).Length;
}

[MemoryDiagnoser]
public class StreamBenchmarks
{
    private static readonly byte[] TextDelta = Encoding.UTF8.GetBytes("{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello there, \"}}");
    private readonly List<StreamEvent> _events = new(4);
    private readonly ArrayBufferWriter<byte> _output = new(4096);
    private AnthropicStreamDecoder _decoder = new();
    private OpenAIStreamEncoder _encoder = new(false, 1);

    [GlobalSetup(Targets = [nameof(TranslateTextDelta), nameof(SniffUsageOfChunk)])]
    public void Setup()
    {
        _decoder = new AnthropicStreamDecoder();
        _encoder = new OpenAIStreamEncoder(false, 1);
        _decoder.OnEvent(new SseEvent("content_block_start", Encoding.UTF8.GetBytes("{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}")), _events);
        _events.Clear();
    }

    /// <summary>One Anthropic text delta decoded and re-encoded as an OpenAI chunk: the per-event cost of stream translation.</summary>
    [Benchmark]
    public int TranslateTextDelta() => Translate(_decoder, _encoder, new SseEvent("content_block_delta", TextDelta));

    /// <summary>One upstream event decoded and every canonical event it yields encoded; the bytes written.</summary>
    private int Translate(IStreamDecoder decoder, IStreamEncoder encoder, SseEvent upstream)
    {
        decoder.OnEvent(upstream, _events);
        foreach (var e in _events)
        {
            encoder.Write(e, _output);
        }
        _events.Clear();
        var n = _output.WrittenCount;
        _output.ResetWrittenCount();
        return n;
    }

    private static readonly byte[] OpenAIChunk = Encoding.UTF8.GetBytes("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello there, \"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}");
    private OpenAIStreamDecoder _openAIDecoder = new();
    private AnthropicStreamEncoder _anthropicEncoder = new();

    [GlobalSetup(Target = nameof(TranslateOpenAIChunk))]
    public void SetupOpenAI()
    {
        _openAIDecoder = new OpenAIStreamDecoder();
        _anthropicEncoder = new AnthropicStreamEncoder();
        Translate(_openAIDecoder, _anthropicEncoder, new SseEvent(null, OpenAIChunk)); // the first chunk starts the message and the block
    }

    /// <summary>One OpenAI text chunk decoded (forward-only) and re-encoded as an Anthropic event: the translated stream's per-event cost.</summary>
    [Benchmark]
    public int TranslateOpenAIChunk() => Translate(_openAIDecoder, _anthropicEncoder, new SseEvent(null, OpenAIChunk));

    private readonly UsageSniffer _sniffer = new(WireProtocol.Anthropic);

    /// <summary>The byte path's per-chunk work on a stream in progress: framing the event and looking for usage.</summary>
    [Benchmark]
    public Usage? SniffUsageOfChunk()
    {
        var sniffer = _sniffer;
        sniffer.Feed("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello there, \"}}\n\n"u8);
        return sniffer.Usage;
    }
}

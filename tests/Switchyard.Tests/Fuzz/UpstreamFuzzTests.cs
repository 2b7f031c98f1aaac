using System.Buffers;
using System.Text;
using CsCheck;
using Switchyard.Config;
using Switchyard.Inbound;
using Switchyard.Protocols.Anthropic;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Gemini;
using Switchyard.Protocols.OpenAI;
using Switchyard.Protocols.Sse;
using Switchyard.Providers;
using Switchyard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchyard.Tests.Fuzz;

/// <summary>
/// Mutated golden upstream answers through the gateway's upstream codecs, in process. A whole response either decodes
/// (and encodes for every client protocol) or is refused as malformed — a <see cref="ProtocolException"/> or a
/// <see cref="System.Text.Json.JsonException"/>, which the attempt turns into a 502. A stream, read in arbitrary
/// pieces (CRLF halves and UTF-8 sequences split across reads), never throws out of its decoder: it yields a
/// well-ordered event sequence that ends in exactly one message stop or one in-stream error, every client encoder
/// takes it, and the pieces it was read in change nothing.
/// </summary>
public sealed class UpstreamFuzzTests(ITestOutputHelper output)
{
    private const string ResponseSeed = "8dq3y2mYbWJ1";
    private const string StreamSeed = "3WfKr0Pp6n9a";
    private const int ResponseCases = 3000;
    private const int StreamCases = 4000;

    internal sealed record Upstream(string Name, UpstreamCodec Codec, string Body)
    {
        public override string ToString() => Name;
    }

    private static string Golden(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "golden", name));

    private static string GeminiSse(string[] chunks) => string.Concat(chunks.Select(c => $"data: {c}\r\n\r\n"));

    internal static readonly Upstream[] Responses =
    [
        new("openai text", UpstreamCodec.OpenAI, Wire.OpenAI.TextResponse),
        new("openai tools", UpstreamCodec.OpenAI, Wire.OpenAI.ToolResponse),
        new("openai oa-response-tools", UpstreamCodec.OpenAI, Golden("oa-response-tools.json")),
        new("anthropic text", UpstreamCodec.Anthropic, Wire.Anthropic.TextResponse),
        new("anthropic tools", UpstreamCodec.Anthropic, Wire.Anthropic.ToolResponse),
        new("anthropic an-response-thinking", UpstreamCodec.Anthropic, Golden("an-response-thinking.json")),
        new("responses text", UpstreamCodec.Responses, Wire.Responses.TextResponse),
        new("responses tools", UpstreamCodec.Responses, Wire.Responses.ToolResponse),
        new("gemini text", UpstreamCodec.Gemini, Wire.Gemini.TextResponse),
        new("gemini tools", UpstreamCodec.Gemini, Wire.Gemini.ToolResponse),
        new("gemini ge-response-thought-call", UpstreamCodec.Gemini, Golden("ge-response-thought-call.json")),
    ];

    internal static readonly Upstream[] Streams =
    [
        new("openai text stream", UpstreamCodec.OpenAI, Wire.OpenAI.TextStream),
        new("openai tool stream", UpstreamCodec.OpenAI, Wire.OpenAI.ToolStream),
        new("openai oa-stream-parallel-tools", UpstreamCodec.OpenAI, Golden("oa-stream-parallel-tools.sse")),
        new("anthropic text stream", UpstreamCodec.Anthropic, Wire.Anthropic.TextStream),
        new("anthropic tool stream", UpstreamCodec.Anthropic, Wire.Anthropic.ToolStream),
        new("anthropic an-stream-thinking-tool", UpstreamCodec.Anthropic, Golden("an-stream-thinking-tool.sse")),
        new("anthropic an-stream-midstream-error", UpstreamCodec.Anthropic, Golden("an-stream-midstream-error.sse")),
        new("responses text stream", UpstreamCodec.Responses, Wire.Responses.TextStream),
        new("responses tool stream", UpstreamCodec.Responses, Wire.Responses.ToolStream),
        new("gemini text stream", UpstreamCodec.Gemini, GeminiSse(Wire.Gemini.TextChunks)),
        new("gemini tool stream", UpstreamCodec.Gemini, GeminiSse(Wire.Gemini.ToolChunks)),
        new("gemini ge-stream-parallel", UpstreamCodec.Gemini, Golden("ge-stream-parallel.sse")),
    ];

    private static readonly Gen<(Upstream Upstream, BodyMutation[] Mutations)> ResponseCase =
        Gen.Select(Gen.Int[0, Responses.Length - 1], BodyMutation.Several, (u, m) => (Responses[u], m));

    /// <summary>A stream case: the golden stream, its mutations, the sizes of the reads it arrives in, and whether EOF comes with the last bytes.</summary>
    internal static readonly Gen<(Upstream Upstream, StreamMutation[] Mutations, int[] Reads, bool EofWithData)> StreamCase =
        Gen.Select(Gen.Int[0, Streams.Length - 1], StreamMutation.Several, Gen.Int[1, 40].Array[0, 24], Gen.Bool,
            (u, m, r, eof) => (Streams[u], m, r, eof));

    [Fact]
    public void Every_golden_answer_decodes_unmutated()
    {
        foreach (var r in Responses)
        {
            Assert.Equal("decoded", DecodeResponse(r.Codec, Encoding.UTF8.GetBytes(r.Body)));
        }
        foreach (var s in Streams)
        {
            var events = DecodeStream(s.Codec, Encoding.UTF8.GetBytes(s.Body), [], eofWithData: false);
            Assert.True(events[^1] is MessageStopEvent || s.Name.Contains("error", StringComparison.Ordinal), $"{s}: {Describe(events)}");
            Assert.Equal("ok", Check(events));
        }
    }

    [Fact]
    public void Mutated_upstream_responses_decode_or_are_refused_as_malformed()
    {
        var outcomes = new Dictionary<string, int>();
        FixedSeed.Run(ResponseCase, c =>
        {
            var outcome = DecodeResponse(c.Upstream.Codec, BodyMutation.Apply(Encoding.UTF8.GetBytes(c.Upstream.Body), c.Mutations));
            outcomes[outcome.Split(':')[0]] = outcomes.GetValueOrDefault(outcome.Split(':')[0]) + 1;
            return outcome is "decoded" or "malformed";
        }, ResponseSeed, ResponseCases,
            c => $"{c.Upstream}: {string.Join(", ", c.Mutations)} → {DecodeResponse(c.Upstream.Codec, BodyMutation.Apply(Encoding.UTF8.GetBytes(c.Upstream.Body), c.Mutations))}");
        output.WriteLine($"{ResponseCases} responses: {string.Join(", ", outcomes.Select(o => $"{o.Key} {o.Value}"))}");
    }

    [Fact]
    public void Mutated_upstream_streams_end_in_one_stop_or_one_error_whatever_pieces_they_arrive_in()
    {
        var endings = new Dictionary<string, int>();
        FixedSeed.Run(StreamCase, c =>
        {
            var verdict = StreamVerdict(c.Upstream, c.Mutations, c.Reads, c.EofWithData, out var ending);
            endings[ending] = endings.GetValueOrDefault(ending) + 1;
            return verdict == "ok";
        }, StreamSeed, StreamCases,
            c => $"{c.Upstream}: {string.Join(", ", c.Mutations)}; reads [{string.Join(",", c.Reads)}] → {StreamVerdict(c.Upstream, c.Mutations, c.Reads, c.EofWithData, out _)}");
        output.WriteLine($"{StreamCases} streams: {string.Join(", ", endings.Select(o => $"{o.Key} {o.Value}"))}");
    }

    [Fact]
    public void Mutated_upstream_error_bodies_always_become_an_error()
    {
        var bodies = new (UpstreamCodec Codec, string Body)[]
        {
            (UpstreamCodec.OpenAI, Wire.OpenAI.RateLimitError), (UpstreamCodec.Responses, Wire.Responses.RateLimitError), (UpstreamCodec.Anthropic, Wire.Anthropic.RateLimitError), (UpstreamCodec.Gemini, Wire.Gemini.RateLimitError),
        };
        var gen = Gen.Select(Gen.Int[0, bodies.Length - 1], Gen.Const(new[] { 400, 401, 429, 500, 503, 529 }).SelectMany(s => Gen.Int[0, s.Length - 1].Select(i => s[i])), BodyMutation.Several, (b, status, m) => (b, status, m));
        FixedSeed.Run(gen, c => DecodeError(bodies[c.b].Codec, c.status, BodyMutation.Apply(Encoding.UTF8.GetBytes(bodies[c.b].Body), c.m)) == "ok", ResponseSeed, 1000,
            c => $"{bodies[c.b].Codec.Wire} {c.status}: {string.Join(", ", c.m)} → {DecodeError(bodies[c.b].Codec, c.status, BodyMutation.Apply(Encoding.UTF8.GetBytes(bodies[c.b].Body), c.m))}");
    }

    private static string DecodeError(UpstreamCodec codec, int status, byte[] body)
    {
        try
        {
            var error = codec.DecodeError(status, body, null);
            return error.Message.Length > 0 ? "ok" : "an error without a message";
        }
        catch (Exception ex)
        {
            return $"escaped: {ex.GetType().Name}: {ex.Message}\n{ex.StackTrace}";
        }
    }

    /// <summary>
    /// The byte path's sniffer reads usage out of forwarded bytes: whatever they are and however they arrive, it never
    /// throws, and — unless it drops the usage chunk it asked for — forwards them exactly as they came.
    /// </summary>
    [Fact]
    public void The_byte_paths_usage_sniffer_forwards_any_upstream_bytes_exactly_and_never_throws()
    {
        var gen = Gen.Select(StreamCase, Gen.Bool, BodyMutation.Several, (c, drop, body) => (c, drop, body));
        FixedSeed.Run(gen, x => Sniff(x.c.Upstream, x.c.Mutations, x.c.Reads, x.drop, x.body) == "ok", StreamSeed, 2000,
            x => $"{x.c.Upstream} drop={x.drop}: {string.Join(", ", x.c.Mutations)} / {string.Join(", ", x.body)}; reads [{string.Join(",", x.c.Reads)}] → {Sniff(x.c.Upstream, x.c.Mutations, x.c.Reads, x.drop, x.body)}");
    }

    /// <summary>Gemini's stream without <c>alt=sse</c> is one JSON array, forwarded unframed: mutated and cut anywhere, it passes byte for byte.</summary>
    [Fact]
    public void Gemini_JSON_array_streams_pass_the_byte_path_exactly_however_broken()
    {
        var array = Encoding.UTF8.GetBytes("[" + string.Join(",\r\n", Wire.Gemini.ToolChunks) + "]");
        var gen = Gen.Select(BodyMutation.Several, Gen.Int[1, 200].Array[0, 12], (m, reads) => (m, reads));
        FixedSeed.Run(gen, c =>
        {
            var bytes = BodyMutation.Apply(array, c.m);
            var sniffer = new Switchyard.Dispatch.UsageSniffer(WireProtocol.Gemini, framed: false);
            var sink = new ArrayBufferWriter<byte>();
            var at = 0;
            foreach (var size in c.reads.Append(int.MaxValue))
            {
                var n = Math.Min(size, bytes.Length - at);
                sniffer.Forward(bytes.AsSpan(at, n), sink);
                at += n;
            }
            sniffer.Complete(sink);
            return sink.WrittenSpan.SequenceEqual(bytes) && (sniffer.SawEnd || !bytes.AsSpan().TrimEnd(" \t\r\n"u8).EndsWith("]"u8));
        }, StreamSeed, 1000, c => $"{string.Join(", ", c.m)}; reads [{string.Join(",", c.reads)}]");
    }

    private static string Sniff(Upstream upstream, StreamMutation[] mutations, int[] reads, bool drop, BodyMutation[] bodyMutations)
    {
        var bytes = StreamMutation.Apply(upstream.Body, mutations);
        var dropping = drop && upstream.Codec.Wire == WireProtocol.OpenAI;
        try
        {
            var sniffer = new Switchyard.Dispatch.UsageSniffer(upstream.Codec.Wire, dropping);
            var sink = new ArrayBufferWriter<byte>();
            var at = 0;
            foreach (var size in reads.Append(int.MaxValue))
            {
                var n = Math.Min(size, bytes.Length - at);
                sniffer.Forward(bytes.AsSpan(at, n), sink);
                at += n;
            }
            sniffer.Complete(sink);
            if (!dropping && !sink.WrittenSpan.SequenceEqual(bytes))
            {
                return "the forwarded bytes differ from the upstream's";
            }
            var whole = Responses.First(r => r.Codec.Wire == upstream.Codec.Wire);
            new Switchyard.Dispatch.UsageSniffer(upstream.Codec.Wire).ReadWholeBody(BodyMutation.Apply(Encoding.UTF8.GetBytes(whole.Body), bodyMutations));
            return "ok";
        }
        catch (Exception ex)
        {
            return $"escaped: {ex.GetType().Name}: {ex.Message}\n{ex.StackTrace}";
        }
    }

    /// <summary>"decoded" (and encoded for every client), "malformed" (refused as the attempt refuses it), or what escaped.</summary>
    internal static string DecodeResponse(UpstreamCodec codec, byte[] body)
    {
        ChatResponse response;
        try
        {
            response = codec.DecodeResponse(body);
        }
        catch (Exception ex) when (HttpAttemptRefuses(ex))
        {
            return "malformed";
        }
        catch (Exception ex)
        {
            return $"escaped: {ex.GetType().Name}: {ex.Message}\n{ex.StackTrace}";
        }
        try
        {
            foreach (var client in new[] { ClientProtocol.OpenAI, ClientProtocol.Responses, ClientProtocol.Anthropic, ClientProtocol.Gemini })
            {
                client.EncodeResponse(response, new ChatRequest { Model = "m" }, new Microsoft.AspNetCore.Http.DefaultHttpContext());
            }
        }
        catch (Exception ex)
        {
            return $"encode failed: {ex.GetType().Name}: {ex.Message}\n{ex.StackTrace}";
        }
        return "decoded";
    }

    /// <summary>What <c>HttpAttempt</c> turns into a 502 "could not be read": exactly these, nothing broader.</summary>
    private static bool HttpAttemptRefuses(Exception ex) => ex is System.Text.Json.JsonException or ProtocolException;

    private static string StreamVerdict(Upstream upstream, StreamMutation[] mutations, int[] reads, bool eofWithData, out string ending)
    {
        ending = "escaped";
        var bytes = StreamMutation.Apply(upstream.Body, mutations);
        List<StreamEvent> pieces, whole;
        try
        {
            pieces = DecodeStream(upstream.Codec, bytes, reads, eofWithData);
            whole = DecodeStream(upstream.Codec, bytes, [], eofWithData: true);
        }
        catch (Exception ex)
        {
            return $"escaped the decoder: {ex.GetType().Name}: {ex.Message}\n{ex.StackTrace}";
        }
        ending = pieces.Count == 0 ? "nothing" : pieces[^1] is StreamErrorEvent e ? $"error {e.Error.Kind}" : "stop";
        if (Check(pieces) is not "ok" and var problem)
        {
            return $"{problem}: {Describe(pieces)}";
        }
        if (Describe(pieces) != Describe(whole))
        {
            return $"the reads changed the events:\n  pieces {Describe(pieces)}\n  whole  {Describe(whole)}";
        }
        try
        {
            foreach (var encoder in new IStreamEncoder[] { new OpenAIStreamEncoder(true, 1), new Protocols.Responses.ResponsesStreamEncoder(new Protocols.Responses.ResponsesEcho("resp_fuzz", 1, null)), new AnthropicStreamEncoder(), new GeminiStreamEncoder(true), new GeminiStreamEncoder(false) })
            {
                using (encoder)
                {
                    var sink = new ArrayBufferWriter<byte>();
                    foreach (var evt in pieces)
                    {
                        encoder.Write(evt, sink);
                    }
                    if (!encoder.IsComplete)
                    {
                        return $"{encoder.GetType().Name} did not complete: {Describe(pieces)}";
                    }
                }
            }
        }
        catch (Exception ex)
        {
            return $"a client encoder failed: {ex.GetType().Name}: {ex.Message}\n{ex.StackTrace}\n{Describe(pieces)}";
        }
        return "ok";
    }

    /// <summary>
    /// The upstream bytes through the parser and decoder as <c>CanonicalRelay.RelaySseAsync</c> reads them (its own
    /// <c>DecodeRead</c>): each read's complete events, what is left kept for the next read, and at EOF the last event
    /// flushed and the end announced.
    /// </summary>
    internal static List<StreamEvent> DecodeStream(UpstreamCodec codec, byte[] bytes, int[] reads, bool eofWithData)
    {
        var decoder = codec.CreateStreamDecoder();
        var parser = new SseParser();
        var events = new List<StreamEvent>();
        var pending = Array.Empty<byte>();
        var offset = 0;
        var r = 0;
        while (true)
        {
            var size = r < reads.Length ? reads[r++] : bytes.Length - offset;
            var take = Math.Min(size, bytes.Length - offset);
            pending = [.. pending, .. bytes.AsSpan(offset, take)];
            offset += take;
            var completed = offset == bytes.Length && (eofWithData || take == 0);
            var buffer = new ReadOnlySequence<byte>(pending);
            var wellFormed = Switchyard.Dispatch.CanonicalRelay.DecodeRead(decoder, parser, ref buffer, completed, events, "fuzz");
            pending = buffer.ToArray();
            if (completed || decoder.IsFinished || !wellFormed)
            {
                return events;
            }
        }
    }

    /// <summary>"ok" when the events are in an order every client encoder can rely on; else what is wrong.</summary>
    internal static string Check(List<StreamEvent> events)
    {
        var open = new HashSet<int>();
        var started = false;
        for (var i = 0; i < events.Count; i++)
        {
            var evt = events[i];
            var last = i == events.Count - 1;
            switch (evt)
            {
                case StreamErrorEvent:
                case MessageStopEvent:
                    if (!last)
                    {
                        return $"event {i} ends the stream but more follow";
                    }
                    if (evt is MessageStopEvent && (!started || open.Count > 0))
                    {
                        return $"message stop with {(started ? "blocks still open" : "no message start")}";
                    }
                    return "ok";
                case MessageStartEvent when started:
                    return $"event {i}: a second message start";
                case MessageStartEvent:
                    started = true;
                    break;
                case BlockStartEvent b when !started || !open.Add(b.Index):
                    return $"event {i}: block {b.Index} starts {(started ? "twice" : "before the message")}";
                case BlockDeltaEvent d when !open.Contains(d.Index):
                    return $"event {i}: a delta for block {d.Index}, which is not open";
                case BlockStopEvent s when !open.Remove(s.Index):
                    return $"event {i}: block {s.Index} stops but is not open";
                case MessageDeltaEvent when open.Count > 0:
                    return $"event {i}: message delta with blocks still open";
            }
        }
        return "the stream has no end (no message stop and no error)";
    }

    internal static string Describe(List<StreamEvent> events) => string.Join(" ", events.Select(e => e switch
    {
        MessageStartEvent => "start",
        BlockStartEvent b => $"+{b.Index}:{b.Kind}",
        BlockDeltaEvent d => $"Δ{d.Index}:{d.Kind}:{d.Value.Length}",
        BlockStopEvent s => $"-{s.Index}",
        MessageDeltaEvent m => $"delta:{m.FinishReason}",
        MessageStopEvent => "stop",
        StreamErrorEvent err => $"error:{err.Error.Kind}:{err.Error.Message}",
        _ => e.GetType().Name,
    }));
}

using System.Text.Json.Nodes;
using CsCheck;
using Switchyard.Inbound;
using Switchyard.Protocols.Anthropic;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Gemini;
using Switchyard.Protocols.OpenAI;
using Xunit;
using Xunit.Abstractions;

namespace Switchyard.Tests.Fuzz;

/// <summary>
/// Mutated golden requests through the gateway's own inbound steps, in process: the prologue's
/// <see cref="InboundPrologue.Accept"/> (text check, count-body unwrap, sniff), the canonical decode and every upstream encoder. Each case either goes through or is refused
/// with a <see cref="ProtocolException"/> that the client's protocol answers with a 4xx in its own error shape;
/// any other exception is a 500 in the making. The seed is fixed; CsCheck prints the shrunk failing case.
/// </summary>
public sealed class InboundFuzzTests(ITestOutputHelper output)
{
    private const int Cases = 6000;

    internal sealed record Endpoint(string Name, ClientProtocol Client, byte[] Body, bool Counting = false)
    {
        public override string ToString() => Name;
    }

    private static readonly Endpoint[] Endpoints = LoadEndpoints();

    private static Endpoint[] LoadEndpoints()
    {
        static byte[] Golden(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "fixtures", "golden", name));
        static byte[] Capture(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "fixtures", "claude-code", name));
        var gemini = Golden("ge-request-mixed-case.json");
        var list = new List<Endpoint>
        {
            new("chat/completions oa-request-full", ClientProtocol.OpenAI, Golden("oa-request-full.json")),
            new("chat/completions oa-request-to-gemini", ClientProtocol.OpenAI, Golden("oa-request-to-gemini.json")),
            new("chat/completions an-request-full.openai", ClientProtocol.OpenAI, Golden("an-request-full.openai.json")),
            new("messages an-request-full", ClientProtocol.Anthropic, Golden("an-request-full.json")),
            new("messages oa-request-full.anthropic", ClientProtocol.Anthropic, Golden("oa-request-full.anthropic.json")),
            new("messages ge-request-mixed-case.anthropic", ClientProtocol.Anthropic, Golden("ge-request-mixed-case.anthropic.json")),
            new("messages claude-code tool-result turn", ClientProtocol.Anthropic, Capture("v2.1.197-tool-result-turn.json")),
            new("messages/count_tokens an-request-full", ClientProtocol.Anthropic, Golden("an-request-full.json"), Counting: true),
            new("responses or-request-codex", ClientProtocol.Responses, Golden("or-request-codex.json")),
            new("responses/input_tokens or-request-codex", ClientProtocol.Responses, Golden("or-request-codex.json"), Counting: true),
            new("generateContent ge-request-mixed-case", ClientProtocol.Gemini, gemini),
            new("generateContent oa-request-to-gemini.gemini", ClientProtocol.Gemini, Golden("oa-request-to-gemini.gemini.json")),
            new("countTokens ge-request-mixed-case", ClientProtocol.Gemini, gemini, Counting: true),
            new("countTokens generateContentRequest", ClientProtocol.Gemini,
                System.Text.Encoding.UTF8.GetBytes($$"""{"generateContentRequest":{{System.Text.Encoding.UTF8.GetString(gemini)}}}"""), Counting: true),
        };
        return [.. list];
    }

    internal static readonly Gen<(Endpoint Endpoint, BodyMutation[] Mutations)> CaseGen =
        Gen.Select(Gen.Int[0, Endpoints.Length - 1], BodyMutation.Several, (e, m) => (Endpoints[e], m));

    [Fact]
    public void Every_golden_request_goes_through_unmutated()
    {
        foreach (var endpoint in Endpoints)
        {
            Assert.Equal(Outcome.Accepted, Run(endpoint, endpoint.Body).Outcome);
        }
    }

    [Fact]
    public void Mutated_requests_are_accepted_or_refused_with_a_4xx_in_the_clients_shape()
    {
        var outcomes = new System.Collections.Concurrent.ConcurrentDictionary<Outcome, int>();
        // Refusals that come from ClientProtocol.Decode's safety net, which cannot name the field: counted, and none allowed.
        var unnamed = new System.Collections.Concurrent.ConcurrentDictionary<WireProtocol, int>();
        FixedSeed.Run(CaseGen, c =>
        {
            var result = Run(c.Endpoint, BodyMutation.Apply(c.Endpoint.Body, c.Mutations));
            outcomes.AddOrUpdate(result.Outcome, 1, (_, n) => n + 1);
            if (result.Detail.Contains(SafetyNet, StringComparison.Ordinal))
            {
                unnamed.AddOrUpdate(c.Endpoint.Client.Wire, 1, (_, n) => n + 1);
            }
            return result.Outcome != Outcome.Crashed && !result.Detail.Contains(SafetyNet, StringComparison.Ordinal);
        }, FixedSeed.Inbound, Cases, c => $"{c.Endpoint}: {string.Join(", ", c.Mutations)} → {Run(c.Endpoint, BodyMutation.Apply(c.Endpoint.Body, c.Mutations)).Detail}");
        output.WriteLine($"{Cases} cases: {string.Join(", ", outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key} {o.Value}"))}; "
            + $"refused without naming the field: {string.Join(", ", unnamed.OrderBy(o => o.Key).Select(o => $"{o.Key} {o.Value}"))}");
    }

    private const string SafetyNet = "could not be read: a field has a value of the wrong type";

    internal enum Outcome { Accepted, Refused, Crashed }

    internal readonly record struct Result(Outcome Outcome, string Detail);

    /// <summary>What the gateway's prologue and decode do with this body (the steps of <see cref="InboundPrologue"/> and the dispatch's encoders).</summary>
    internal static Result Run(Endpoint endpoint, byte[] body)
    {
        var client = endpoint.Client;
        try
        {
            (body, var sniff) = InboundPrologue.Accept(client, body, client.Wire == WireProtocol.Gemini ? "gemini-fuzz" : null, pathStream: false, endpoint.Counting, InputLimits.Default);
            var request = client.Decode(body, sniff);
            var options = new EncodeOptions("upstream-model");
            foreach (var encode in new Func<ChatRequest, EncodeOptions, byte[]>[] { OpenAIRequestEncoder.Encode, Protocols.Responses.ResponsesRequestEncoder.Encode, AnthropicRequestEncoder.Encode, GeminiRequestEncoder.Encode })
            {
                try
                {
                    encode(request, options);
                }
                catch (ProtocolException refused)
                {
                    // An upstream that cannot take what was asked: the client is told so, in its shape.
                    return Refused(client, refused);
                }
            }
            return new Result(Outcome.Accepted, "accepted");
        }
        catch (ProtocolException refused)
        {
            return Refused(client, refused);
        }
        catch (Exception ex)
        {
            return new Result(Outcome.Crashed, ex.ToString());
        }
    }

    private static Result Refused(ClientProtocol client, ProtocolException refused)
    {
        var status = client.ErrorStatus(refused.Error);
        if (status is not (400 or 404 or 413 or 415 or 422) || string.IsNullOrWhiteSpace(refused.Error.Message))
        {
            return new Result(Outcome.Crashed, $"refused with {status}: '{refused.Error.Message}'");
        }
        var shape = JsonNode.Parse(client.EncodeError(refused.Error, "req_fuzz"))!;
        var shaped = client.Wire switch
        {
            WireProtocol.OpenAI or WireProtocol.Responses => shape["error"]?["message"] is not null && shape["error"]!.AsObject().ContainsKey("param"),
            WireProtocol.Anthropic => shape["type"]?.GetValue<string>() == "error" && shape["error"]?["message"] is not null,
            _ => shape["error"]?["code"]?.GetValue<int>() == status && shape["error"]?["status"] is not null,
        };
        return shaped
            ? new Result(Outcome.Refused, $"{status}: {refused.Error.Message}")
            : new Result(Outcome.Crashed, $"error body not in the protocol's shape: {shape.ToJsonString()}");
    }
}

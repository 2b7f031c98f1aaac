using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using Switchyard.Protocols.Canonical;
using Switchyard.Tests.Dispatch;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Fuzz;

/// <summary>
/// A sample of <see cref="UpstreamFuzzTests"/>'s mutated upstream answers served by a fake provider on 127.0.0.1 to a
/// real gateway, asked in every client protocol: a whole answer is a 200 or a 502 in the client's error shape; a
/// translated stream is a 200 that ends in the client protocol's finish or its in-stream error; what the byte path
/// passes on is the upstream's bytes exactly; nothing hangs, and the gateway is healthy afterwards.
/// </summary>
public sealed class KestrelUpstreamFuzzTests
{
    private const string Seed = "5Rt0wq7mZc2u";
    private const int Cases = 360;

    private static readonly string[] Clients = ["openai", "anthropic", "gemini"];

    private static readonly Gen<(bool Stream, int Upstream, int Client, BodyMutation[] Body, StreamMutation[] Events, int[] Pieces)> CaseGen =
        Gen.Select(Gen.Bool, Gen.Int[0, 63], Gen.Int[0, Clients.Length - 1], BodyMutation.Several, StreamMutation.Several, Gen.Int[1, 300].Array[1, 6],
            (stream, upstream, client, body, events, pieces) => (stream, upstream, client, body, events, pieces));

    private static string Kind(UpstreamFuzzTests.Upstream u) => u.Codec.Wire switch
    {
        WireProtocol.OpenAI => "openai",
        WireProtocol.Anthropic => "anthropic",
        _ => "gemini",
    };

    [Fact]
    public async Task Mutated_upstream_answers_reach_every_client_as_a_200_or_a_502_in_its_shape_and_nothing_hangs()
    {
        byte[] reply = [];
        var replyIsStream = false;
        int[] pieces = [];
        await using var fake = await FakeUpstream.StartAsync(async (ctx, _) =>
        {
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = replyIsStream ? "text/event-stream" : "application/json";
            var at = 0;
            foreach (var size in pieces.Append(int.MaxValue))
            {
                var n = Math.Min(size, reply.Length - at);
                await ctx.Response.Body.WriteAsync(reply.AsMemory(at, n), ctx.RequestAborted);
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                at += n;
            }
        });
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - {name: up-openai, type: openai, base_url: {{fake.Url}}/v1, keys: [{key: sk-fuzz-1, max_failures: 1000000}], max_failures: 1000000}
              - {name: up-anthropic, type: anthropic, base_url: {{fake.Url}}, keys: [{key: sk-fuzz-2, max_failures: 1000000}], max_failures: 1000000}
              - {name: up-gemini, type: gemini, base_url: {{fake.Url}}, keys: [{key: sk-fuzz-3, max_failures: 1000000}], max_failures: 1000000}
            routes:
              - {model: via-openai, targets: [{provider: up-openai, model: m}]}
              - {model: via-anthropic, targets: [{provider: up-anthropic, model: m}]}
              - {model: via-gemini, targets: [{provider: up-gemini, model: m}]}
            """); // every answer here is broken on purpose: no provider may cool down over it
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var failures = new List<string>();
        foreach (var (i, _, c) in FixedSeed.Draw(CaseGen, Seed, Cases))
        {
            var upstreams = c.Stream ? UpstreamFuzzTests.Streams : UpstreamFuzzTests.Responses;
            var upstream = upstreams[c.Upstream % upstreams.Length];
            var kind = Kind(upstream);
            var client = Clients[c.Client];
            reply = c.Stream ? StreamMutation.Apply(upstream.Body, c.Events) : BodyMutation.Apply(Encoding.UTF8.GetBytes(upstream.Body), c.Body);
            replyIsStream = c.Stream;
            pieces = c.Pieces;
            var model = $"via-{kind}";
            var body = ProtocolMatrixTests.ClientRequest(client, c.Stream, tools: true).Replace("matrix-model", model, StringComparison.Ordinal);
            if (client == "openai" && c.Stream)
            {
                // asks for the usage chunk itself, so that the byte path has nothing to drop and must forward every byte
                body = body.Replace("\"stream\":true", "\"stream\":true,\"stream_options\":{\"include_usage\":true}", StringComparison.Ordinal);
            }
            using var request = new HttpRequestMessage(HttpMethod.Post, ProtocolMatrixTests.ClientPath(client, c.Stream, model)) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation("anthropic-version", "2023-06-01");
            using var response = await gw.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var verdict = await VerdictAsync(response, client, passthrough: client == kind, c.Stream, reply, timeout.Token);
            if (verdict is not null)
            {
                var what = c.Stream ? string.Join(", ", c.Events) : string.Join(", ", c.Body);
                failures.Add($"case {i}: {upstream} ({what}; pieces {string.Join(",", c.Pieces)}) → {client} client: {verdict}");
                break;
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        using var health = await gw.Client.GetAsync("/health", timeout.Token);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    /// <summary>Null when the client got what the rule allows; else what it got.</summary>
    private static async Task<string?> VerdictAsync(HttpResponseMessage response, string client, bool passthrough, bool stream, byte[] upstreamBytes, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        var text = Encoding.UTF8.GetString(bytes);
        if (status == 502)
        {
            return InShape(client, text) ? null : $"502 not in the client's shape: {text}";
        }
        if (status != 200)
        {
            return $"{status} {text}";
        }
        if (passthrough)
        {
            // The upstream's bytes exactly; a stream that stopped short of its protocol's end gets the client's error event after them.
            var rest = bytes.AsSpan().StartsWith(upstreamBytes) ? Encoding.UTF8.GetString(bytes.AsSpan(upstreamBytes.Length)) : null;
            return rest is "" || (stream && rest is not null && rest.Contains("The upstream stream ended unexpectedly.", StringComparison.Ordinal))
                ? null
                : $"the byte path changed the upstream's bytes: {text}";
        }
        if (!stream)
        {
            return null; // an answer the gateway read and re-encoded
        }
        using var replay = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(text, Encoding.UTF8, "text/event-stream") };
        var view = await ClientView.ReadAsync(replay, client);
        return view.Finish is not null || view.ErrorBody is not null ? null : $"a stream that neither finished nor failed: {text}";
    }

    private static bool InShape(string client, string text)
    {
        try
        {
            var json = JsonNode.Parse(text);
            return client switch
            {
                "openai" => json?["error"]?["message"] is not null && json["error"]!["type"]?.GetValue<string>() == "server_error",
                "anthropic" => json?["type"]?.GetValue<string>() == "error" && json["error"]?["type"]?.GetValue<string>() == "api_error",
                _ => json?["error"]?["code"]?.GetValue<int>() == 502 && json["error"]?["status"]?.GetValue<string>() == "UNAVAILABLE",
            };
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using CsCheck;
using Switchyard.Protocols.Canonical;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Fuzz;

/// <summary>
/// A sample of the mutated requests of <see cref="InboundFuzzTests"/> sent to a real gateway on 127.0.0.1, served by the
/// mock provider: every answer is a 200 or a 4xx whose body is the endpoint's own error shape, none hangs, and the
/// gateway is healthy afterwards.
/// </summary>
public sealed class KestrelFuzzTests
{
    private const string Seed = "0lmkHHy5PQX1"; // any CsCheck seed; fixed so that every run sends the same requests
    private const int Cases = 480;

    private static string PathOf(InboundFuzzTests.Endpoint e, bool geminiStream) => (e.Client.Wire, e.Counting) switch
    {
        (WireProtocol.OpenAI, _) => "/v1/chat/completions",
        (WireProtocol.Responses, false) => "/v1/responses",
        (WireProtocol.Responses, true) => "/v1/responses/input_tokens",
        (WireProtocol.Anthropic, false) => "/v1/messages",
        (WireProtocol.Anthropic, true) => "/v1/messages/count_tokens",
        (_, true) => "/v1beta/models/fuzz-model:countTokens",
        _ => geminiStream ? "/v1beta/models/fuzz-model:streamGenerateContent?alt=sse" : "/v1beta/models/fuzz-model:generateContent",
    };

    [Fact]
    public async Task Mutated_requests_over_HTTP_get_a_200_or_a_4xx_in_the_endpoints_shape_and_the_gateway_stays_healthy()
    {
        await using var gw = await Gateway.StartAsync(Gateway.AnyModelToMock);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var cases = Gen.Select(InboundFuzzTests.CaseGen, Gen.Bool, (c, s) => (c.Endpoint, c.Mutations, GeminiStream: s));
        var failures = new List<string>();
        foreach (var (i, _, c) in FixedSeed.Draw(cases, Seed, Cases))
        {
            var path = PathOf(c.Endpoint, c.GeminiStream);
            var body = BodyMutation.Apply(c.Endpoint.Body, c.Mutations);
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.TryAddWithoutValidation("anthropic-version", "2023-06-01");
            using var response = await gw.Client.SendAsync(request, timeout.Token);
            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            var status = (int)response.StatusCode;
            if (status == 200)
            {
                continue;
            }
            if (status is not (400 or 404 or 413 or 415 or 422) || !InShape(c.Endpoint.Client.Wire, status, text))
            {
                failures.Add($"case {i} {path} ({c.Endpoint}: {string.Join(", ", c.Mutations)}) → {status} {text}");
                break;
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        using var health = await gw.Client.GetAsync("/health", timeout.Token);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    private static bool InShape(WireProtocol wire, int status, string text)
    {
        JsonNode? json;
        try
        {
            json = JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
        return wire switch
        {
            WireProtocol.OpenAI or WireProtocol.Responses => json?["error"]?["message"] is not null && json["error"]!.AsObject().ContainsKey("param") && json["error"]!.AsObject().ContainsKey("code"),
            WireProtocol.Anthropic => json?["type"]?.GetValue<string>() == "error" && json["error"]?["type"] is not null && json["error"]?["message"] is not null,
            _ => json?["error"]?["code"]?.GetValue<int>() == status && json["error"]?["status"] is not null && json["error"]?["message"] is not null,
        };
    }
}

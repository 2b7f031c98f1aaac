using System.Net;
using Microsoft.AspNetCore.Http;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Observability;

/// <summary>With an OTLP endpoint configured, each request is a server span with a client span per upstream attempt, tagged after the GenAI conventions.</summary>
public sealed class TracingTests
{
    [Fact]
    public async Task A_request_that_fails_over_exports_one_server_span_and_a_client_span_per_attempt()
    {
        await using var collector = await FakeUpstream.StartAsync((ctx, _) =>
        {
            ctx.Response.ContentType = "application/x-protobuf";
            return Task.CompletedTask; // an empty ExportTraceServiceResponse
        });
        await using var down = await FakeUpstream.StartAsync(FakeUpstream.Json("""{"error":{"message":"overloaded","type":"server_error"}}""", 503));
        await using var up = await FakeUpstream.StartAsync(FakeUpstream.Scripted("anthropic"));
        var gw = await Gateway.StartAsync($$"""
            telemetry:
              otlp_endpoint: {{collector.Url}}
              service_name: switchyard-trace-test
            providers:
              - {name: first, type: openai, base_url: "{{down.Url}}/v1", keys: [sk-first-secret-key-1]}
              - {name: second, type: anthropic, base_url: "{{up.Url}}", keys: [sk-second-secret-key-2]}
            routes:
              - model: traced-model
                targets: [{provider: first, model: gpt-up}, {provider: second, model: claude-up}]
                retry: {backoff: 1ms}
            """);
        try
        {
            using var resp = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"traced-model","messages":[{"role":"user","content":"Hi"}]}""",
                ("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
            Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        }
        finally
        {
            await gw.DisposeAsync(); // stopping flushes the batch exporter
        }

        var exports = collector.Requests.Where(r => r.Path == "/v1/traces").ToList();
        Assert.NotEmpty(exports);
        Assert.All(exports, e => Assert.Equal("application/x-protobuf", e.Header("content-type")));
        var spans = exports.SelectMany(e => OtlpSpans.Read(e.Body)).ToList();
        var request = Assert.Single(spans, s => s.Name == "chat traced-model");
        Assert.Equal(2, request.Kind); // SERVER
        // The caller's trace continues through the gateway: its parent is the caller's span.
        Assert.Equal("0AF7651916CD43DD8448EB211C80319C", request.TraceId);
        Assert.Equal("B7AD6B7169203331", request.ParentSpanId);
        Assert.Equal("chat", request.Attributes["gen_ai.operation.name"]);
        Assert.Equal("traced-model", request.Attributes["gen_ai.request.model"]);
        Assert.Equal("claude-up", request.Attributes["gen_ai.response.model"]);
        Assert.Equal("anthropic", request.Attributes["gen_ai.provider.name"]);
        Assert.Equal(2L, request.Attributes["switchyard.attempts"]);
        Assert.Equal(200L, request.Attributes["http.response.status_code"]);
        Assert.True((long)request.Attributes["gen_ai.usage.input_tokens"] > 0);
        Assert.True((long)request.Attributes["gen_ai.usage.output_tokens"] > 0);
        Assert.Equal(["stop"], ((List<object>)request.Attributes["gen_ai.response.finish_reasons"]).Cast<string>());

        var attempts = spans.Where(s => s.ParentSpanId == request.SpanId).ToList();
        Assert.Equal(2, attempts.Count);
        Assert.All(attempts, a => Assert.Equal(3, a.Kind)); // CLIENT
        Assert.All(attempts, a => Assert.Equal(request.TraceId, a.TraceId));
        var failed = Assert.Single(attempts, a => a.Name == "chat gpt-up");
        Assert.Equal("openai", failed.Attributes["gen_ai.provider.name"]);
        Assert.Equal("503", failed.Attributes["error.type"]);
        var served = Assert.Single(attempts, a => a.Name == "chat claude-up");
        Assert.Equal("served", served.Attributes["switchyard.outcome"]);
        Assert.Equal("sk-s…ey-2", served.Attributes["switchyard.key"]);

        // Upstream keys never leave in a span, masked or not.
        var everything = string.Concat(exports.Select(e => System.Text.Encoding.UTF8.GetString(e.Body)));
        Assert.DoesNotContain("sk-second-secret-key-2", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-first-secret-key-1", everything, StringComparison.Ordinal);
        Assert.Contains("switchyard-trace-test", everything, StringComparison.Ordinal); // the resource's service.name

        // The caller's trace context is not handed on to providers.
        Assert.All(down.Requests.Concat(up.Requests), r => Assert.Equal("", r.Header("traceparent")));
    }
}

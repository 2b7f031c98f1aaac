using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Switchyard.Config;
using Switchyard.Responses;
using Switchyard.Tests.Infrastructure;
using Xunit;
using static Switchyard.Tests.Responses.ResponsesApiTests;

namespace Switchyard.Tests.Storage;

/// <summary>Stored Responses answers live in the store: a restart keeps them, their tenant's, for 30 days; a delete is for good.</summary>
public sealed class StoredResponsesTests
{
    private static GatewayConfig Config(string url, TestStore db) => ConfigLoader.Parse($$"""
        providers:
          - {name: up, type: openai, base_url: "{{url}}/v1", keys: [sk-upstream-a]}
        routes:
          - {model: resp-model, targets: [{provider: up, model: upstream-model}]}
        tenants:
          - {name: team-a, keys: [sk-team-a]}
          - {name: team-b, keys: [sk-team-b]}
        """, "responses.yaml") with { Storage = db.Options };

    [Theory]
    [MemberData(nameof(TestStore.Dialects), MemberType = typeof(TestStore))]
    public async Task A_stored_answer_survives_a_restart_and_the_conversation_goes_on(string dialect)
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Scripted("openai"));
        await using var db = await TestStore.CreateAsync(dialect, migrate: false);
        var config = Config(fake.Url, db);

        string id, answer, unstoredId;
        await using (var gw = await Gateway.StartAsync(config))
        {
            using var created = await PostAsync(gw, """{"model":"resp-model","input":"My name is Ada."}""", key: "sk-team-a");
            answer = await created.Content.ReadAsStringAsync();
            id = JsonNode.Parse(answer)!["id"]!.GetValue<string>();
            using var unstored = await PostAsync(gw, """{"model":"resp-model","input":"Forget me.","store":false}""", key: "sk-team-a");
            unstoredId = JsonNode.Parse(await unstored.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        } // shutdown writes what is still queued

        await using (var gw = await Gateway.StartAsync(config))
        {
            using var read = await SendAsync(gw, HttpMethod.Get, $"/v1/responses/{id}", "sk-team-a");
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.Equal(answer, await read.Content.ReadAsStringAsync()); // the answer as the client first received it
            Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(gw, HttpMethod.Get, $"/v1/responses/{id}", "sk-team-b")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(gw, HttpMethod.Get, $"/v1/responses/{unstoredId}", "sk-team-a")).StatusCode);

            using var next = await PostAsync(gw, $$"""{"model":"resp-model","previous_response_id":"{{id}}","input":"What is my name?"}""", key: "sk-team-a");
            Assert.Equal(HttpStatusCode.OK, next.StatusCode);
            var messages = fake.Requests.Last().Json["messages"]!.AsArray();
            Assert.Equal(["user", "assistant", "user"], messages.Select(m => m!["role"]!.GetValue<string>()));
            Assert.Contains("My name is Ada.", messages[0]!["content"]!.ToJsonString(), StringComparison.Ordinal);

            using var deleted = await SendAsync(gw, HttpMethod.Delete, $"/v1/responses/{id}", "sk-team-a");
            Assert.True(JsonNode.Parse(await deleted.Content.ReadAsStringAsync())!["deleted"]!.GetValue<bool>());
        }

        await using (var gw = await Gateway.StartAsync(config))
        {
            Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(gw, HttpMethod.Get, $"/v1/responses/{id}", "sk-team-a")).StatusCode);
            using var gone = await PostAsync(gw, $$"""{"model":"resp-model","previous_response_id":"{{id}}","input":"Hi"}""", key: "sk-team-a");
            Assert.Equal(HttpStatusCode.BadRequest, gone.StatusCode);
        }

        await using var c = await db.Store.OpenConnectionAsync(default);
        var tenants = (await c.QueryAsync<string>("SELECT tenant FROM responses")).ToList();
        Assert.Equal(["team-a"], tenants); // the follow-up's answer; neither the deleted one nor the unstored one
    }

    [Theory]
    [MemberData(nameof(TestStore.Dialects), MemberType = typeof(TestStore))]
    public async Task Answers_older_than_thirty_days_are_gone(string dialect)
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Scripted("openai"));
        await using var db = await TestStore.CreateAsync(dialect);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await using (var c = await db.Store.OpenConnectionAsync(default))
        {
            const string insert = "INSERT INTO responses (id, tenant, created_at, input_items, response) VALUES (@id, 'team-a', @at, '[]', @response)";
            await c.ExecuteAsync(insert, new { id = "resp_old", at = now - (31 * 86400), response = """{"id":"resp_old","output":[]}""" });
            await c.ExecuteAsync(insert, new { id = "resp_recent", at = now - (29 * 86400), response = """{"id":"resp_recent","output":[]}""" });
        }
        await using var gw = await Gateway.StartAsync(Config(fake.Url, db));
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(gw, HttpMethod.Get, "/v1/responses/resp_old", "sk-team-a")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(gw, HttpMethod.Get, "/v1/responses/resp_recent", "sk-team-a")).StatusCode);

        Assert.Equal(1, await gw.Services.GetRequiredService<ResponseStore>().PruneIfDueAsync(force: true));
        await using var check = await db.Store.OpenConnectionAsync(default);
        Assert.Equal(["resp_recent"], await check.QueryAsync<string>("SELECT id FROM responses"));
    }
}

using System.Net;
using System.Text;
using Switchyard.Inbound;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Fuzz;

/// <summary>Each case the fuzz suites found once, kept as a named regression test.</summary>
public sealed class FuzzFindingsTests
{
    private static InboundFuzzTests.Result Run(ClientProtocol client, string body) =>
        InboundFuzzTests.Run(new InboundFuzzTests.Endpoint("finding", client, Encoding.UTF8.GetBytes(body)), Encoding.UTF8.GetBytes(body));

    private const string ToolWithSchema = """
        {"model":"m","messages":[{"role":"user","content":"hi"}],
         "tools":[{"type":"function","function":{"name":"f","parameters":SCHEMA}}]}
        """;

    [Theory]
    [InlineData("""{"type":"object","properties":{"a":{"type":"string"}},"required":[{}]}""")] // a required entry that is not a name
    [InlineData("""{"type":true,"properties":{"a":{"type":"string"}}}""")] // a type that is neither a name nor a list
    [InlineData("""{"type":"object","properties":{"a":{"type":"string","format":[]}}}""")]
    [InlineData("""{"type":"object","properties":{"a":{"anyOf":[{"type":5},{"type":"null"}]}},"$ref":7}""")]
    public void A_tool_schema_of_odd_types_is_translated_to_Gemini_without_an_exception(string schema)
    {
        var result = Run(ClientProtocol.OpenAI, ToolWithSchema.Replace("SCHEMA", schema, StringComparison.Ordinal));
        Assert.Equal(InboundFuzzTests.Outcome.Accepted, result.Outcome);
    }

    [Theory]
    [InlineData("\\ud800", 6)] // a high half alone
    [InlineData("\\udc00", 6)] // a low half alone
    [InlineData("ab\\ud83dcd", 8)] // a high half followed by text
    [InlineData("\\\\\\ud800", 8)] // an escaped backslash, then a lone half
    public void An_unpaired_surrogate_escape_is_refused_with_its_offset(string text, int offset)
    {
        var body = $$"""{"m":"{{text}}"}""";
        var refused = Assert.Throws<Switchyard.Protocols.Canonical.ProtocolException>(() => RequestBody.RequireText(Encoding.UTF8.GetBytes(body)));
        Assert.Contains($"at offset {offset}", refused.Message, StringComparison.Ordinal);
        Assert.Equal(InboundFuzzTests.Outcome.Refused, Run(ClientProtocol.Anthropic, $$"""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"{{text}}"}]}""").Outcome);
    }

    [Theory]
    [InlineData("\\ud83d\\ude00")] // a pair: 😀
    [InlineData("\\\\ud800")] // a backslash and the text 'ud800'
    [InlineData("\\u00e9")]
    public void Paired_surrogates_and_escaped_backslashes_are_text(string text)
    {
        var body = Encoding.UTF8.GetBytes($$"""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"{{text}}"}]}""");
        Assert.Same(body, RequestBody.RequireText(body));
        Assert.Equal(InboundFuzzTests.Outcome.Accepted, Run(ClientProtocol.Anthropic, Encoding.UTF8.GetString(body)).Outcome);
    }

    [Fact]
    public async Task A_model_name_too_long_for_a_header_is_refused_in_the_clients_shape()
    {
        await using var gw = await Gateway.StartAsync(Gateway.AnyModelToMock);
        var name = new string('x', 70_000);
        using var openai = await gw.PostJsonAsync("/v1/chat/completions", $$"""{"model":"{{name}}","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, openai.StatusCode);
        Assert.Contains("model names are at most 256", await openai.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var gemini = await gw.PostJsonAsync($"/v1beta/models/{new string('g', 300)}:generateContent", """{"contents":[{"parts":[{"text":"hi"}]}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, gemini.StatusCode);
        Assert.Contains("INVALID_ARGUMENT", await gemini.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var fine = await gw.PostJsonAsync("/v1/chat/completions", $$"""{"model":"{{new string('y', 256)}}","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.OK, fine.StatusCode);
    }
}

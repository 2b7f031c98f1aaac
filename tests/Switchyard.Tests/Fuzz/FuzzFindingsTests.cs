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

    [Theory] // the same strictness as OpenAI's and Anthropic's roles: an unknown one is refused, not read as the user
    [InlineData("assistant")]
    [InlineData("system")]
    [InlineData("no_such_value")]
    public void A_Gemini_role_other_than_user_or_model_is_refused_naming_it(string role)
    {
        var result = Run(ClientProtocol.Gemini, $$"""{"contents":[{"role":"user","parts":[{"text":"a"}]},{"role":"{{role}}","parts":[{"text":"b"}]}]}""");
        Assert.Equal(InboundFuzzTests.Outcome.Refused, result.Outcome);
        Assert.Contains($"Please use a valid role: user, model. ('contents[1].role' is '{role}')", result.Detail, StringComparison.Ordinal);
        Assert.Equal(InboundFuzzTests.Outcome.Accepted, Run(ClientProtocol.Gemini, """{"contents":[{"parts":[{"text":"a"}]},{"role":"model","parts":[{"text":"b"}]},{"role":"function","parts":[{"functionResponse":{"name":"f","response":{}}}]}]}""").Outcome);
    }

    [Theory] // the examples, and the other Gemini fields the fuzz run found refused without a name
    [InlineData("""{"contents":[{"role":["user"],"parts":[{"text":"hi"}]}]}""", "Invalid value at 'contents[0].role' (TYPE_STRING)")]
    [InlineData("""{"contents":[{"parts":[{"text":"hi"}]}],"tools":[{"functionDeclarations":[{"name":["f"]}]}]}""", "'tools[0].functionDeclarations[0].name' (TYPE_STRING)")]
    [InlineData("""{"contents":[{"parts":[{"text":"hi"},{"text":7}]}]}""", "'contents[0].parts[1].text' (TYPE_STRING), 7")]
    [InlineData("""{"contents":[{"parts":[{"inlineData":{"mimeType":{},"data":"AA=="}}]}]}""", "'contents[0].parts[0].inlineData.mimeType' (TYPE_STRING)")]
    [InlineData("""{"contents":[{"parts":[{"functionCall":{"name":"f","args":[1]}}]}]}""", "'contents[0].parts[0].functionCall.args' (TYPE_MESSAGE)")]
    [InlineData("""{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"maxOutputTokens":"many"}}""", "'generationConfig.maxOutputTokens' (TYPE_INT32)")]
    [InlineData("""{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"stopSequences":["a",1]}}""", "'generationConfig.stopSequences[1]' (TYPE_STRING)")]
    [InlineData("""{"contents":[{"parts":[{"text":"hi"}]}],"toolConfig":{"functionCallingConfig":{"mode":5}}}""", "'toolConfig.functionCallingConfig.mode' (TYPE_STRING)")]
    public void Gemini_fields_of_the_wrong_type_are_refused_naming_the_field(string body, string message)
    {
        var result = Run(ClientProtocol.Gemini, body);
        Assert.Equal(InboundFuzzTests.Outcome.Refused, result.Outcome);
        Assert.Contains(message, result.Detail, StringComparison.Ordinal);
        Assert.StartsWith("400: ", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_Gemini_schema_whose_nullable_is_not_a_boolean_is_read_as_not_nullable()
    {
        var result = Run(ClientProtocol.Gemini, """{"contents":[{"parts":[{"text":"hi"}]}],"tools":[{"functionDeclarations":[{"name":"f","parameters":{"type":"OBJECT","properties":{"a":{"type":"STRING","nullable":""}}}}]}]}""");
        Assert.Equal(InboundFuzzTests.Outcome.Accepted, result.Outcome);
    }

    [Theory] // found by the shrinker from another failing case
    [InlineData("""{"type":"image_url"}""")]
    [InlineData("""{"type":"image_url","image_url":[1]}""")]
    public void An_OpenAI_image_part_without_a_usable_image_url_is_refused_naming_it(string part)
    {
        var result = Run(ClientProtocol.OpenAI, $$"""{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"hi"},{{part}}]}]}""");
        Assert.Equal(InboundFuzzTests.Outcome.Refused, result.Outcome);
        Assert.Contains("'messages[0].content[1].image_url' is required", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_Gemini_tool_declares_nothing()
    {
        var result = Run(ClientProtocol.Gemini, """{"contents":[{"parts":[{"text":"hi"}]}],"tools":[{}]}""");
        Assert.Equal(InboundFuzzTests.Outcome.Accepted, result.Outcome);
    }

    [Fact]
    public void Gemini_numbers_may_be_strings_as_in_proto_JSON()
    {
        var result = Run(ClientProtocol.Gemini, """{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"maxOutputTokens":"64","temperature":"0.5"}}""");
        Assert.Equal(InboundFuzzTests.Outcome.Accepted, result.Outcome);
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

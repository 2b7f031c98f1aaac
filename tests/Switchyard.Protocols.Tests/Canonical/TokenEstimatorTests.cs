using Switchyard.Protocols.Canonical;
using Xunit;

namespace Switchyard.Protocols.Tests.Canonical;

/// <summary>The local estimate against counts of OpenAI's tokenizer (cl100k_base) for known strings: within the documented ±35%.</summary>
public sealed class TokenEstimatorTests
{
    [Theory]
    [InlineData("tiktoken is great!", 6)] // OpenAI cookbook, "How to count tokens with tiktoken"
    [InlineData("The quick brown fox jumps over the lazy dog.", 10)]
    [InlineData("Hello, world!", 4)]
    public void Text_estimates_are_within_the_documented_accuracy_of_real_counts(string text, int known)
    {
        var estimate = TokenEstimator.Text(text);
        Assert.InRange(estimate, (int)Math.Floor(known * 0.65), (int)Math.Ceiling(known * 1.35));
    }

    [Fact]
    public void Non_latin_scripts_count_about_a_token_a_character()
    {
        Assert.InRange(TokenEstimator.Text("你好世界，今天天气很好"), 8, 14);
    }

    [Fact]
    public void Requests_count_framing_tools_and_images()
    {
        var req = new ChatRequest { Model = "m" };
        req.System.Add(new TextPart("Be brief."));
        var user = new ChatMessage(ChatRole.User);
        user.Content.Add(new TextPart("Hello, world!"));
        user.Content.Add(new MediaPart { MediaType = "image/png", Data = "iVBOR" });
        req.Messages.Add(user);
        var withoutTools = TokenEstimator.Count(req);
        Assert.Equal(TokenEstimator.PerRequestOverhead + 2 * TokenEstimator.PerMessageOverhead + TokenEstimator.Text("Be brief.") + TokenEstimator.Text("Hello, world!") + TokenEstimator.PerImage, withoutTools);
        req.Tools.Add(new ToolDefinition { Name = "get_weather", Parameters = System.Text.Json.JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string"}}}""").RootElement });
        Assert.True(TokenEstimator.Count(req) > withoutTools + TokenEstimator.PerToolOverhead);
    }
}

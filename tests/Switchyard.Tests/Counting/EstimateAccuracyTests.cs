using Microsoft.ML.Tokenizers;
using Switchyard.Protocols.Canonical;
using Xunit;
using Xunit.Abstractions;

namespace Switchyard.Tests.Counting;

/// <summary>
/// The local estimate measured against OpenAI's tokenizers on real texts (the README records the ratios): within
/// ±35% for English and code; for Chinese it errs high against o200k_base, which packs CJK densely — an
/// overestimate is the safe side of a context-window check.
/// </summary>
public sealed class EstimateAccuracyTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("english.txt", "gpt-4o", 1.35)]
    [InlineData("english.txt", "gpt-4", 1.35)]
    [InlineData("code.cs.txt", "gpt-4o", 1.35)]
    [InlineData("code.cs.txt", "gpt-4", 1.35)]
    [InlineData("chinese.txt", "gpt-4o", 1.5)]
    [InlineData("chinese.txt", "gpt-4", 1.35)]
    public void The_estimate_stays_within_the_documented_accuracy(string sample, string model, double high)
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Counting", "Samples", sample));
        var real = TiktokenTokenizer.CreateForModel(model).CountTokens(text);
        var estimate = TokenEstimator.Text(text);
        var ratio = (double)estimate / real;
        output.WriteLine($"{sample}: {text.Length} chars, {model} {real} tokens, estimate {estimate} ({ratio:0.00}x)");
        Assert.InRange(ratio, 0.65, high);
    }
}

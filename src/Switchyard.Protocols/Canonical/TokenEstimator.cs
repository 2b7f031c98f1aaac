using System.Text;

namespace Switchyard.Protocols.Canonical;

/// <summary>
/// A local token estimate for upstreams without a counting endpoint. Tokenizers differ by model, so this is an
/// approximation: about four bytes of UTF-8 text a token (CJK and other non-Latin scripts: about one token a
/// character), plus the chat framing each message costs, tool schemas as the JSON the model reads, and a flat
/// cost per image. It is OpenAI's rule of thumb (a token ≈ 4 characters of English): expect ±35% against real tokenizers.
/// </summary>
public static class TokenEstimator
{
    public const int PerMessageOverhead = 4;
    public const int PerRequestOverhead = 3;
    public const int PerToolOverhead = 8;
    /// <summary>Anthropic bills an image of ~1.15 megapixels at about 1,600 tokens; dimensions are unknown here.</summary>
    public const int PerImage = 1600;
    public const int PerDocumentPage = 1500;

    public static int Count(ChatRequest request)
    {
        var tokens = PerRequestOverhead;
        foreach (var s in request.System)
        {
            tokens += Text(s.Text);
        }
        if (request.System.Count > 0)
        {
            tokens += PerMessageOverhead;
        }
        foreach (var m in request.Messages)
        {
            tokens += PerMessageOverhead;
            foreach (var part in m.Content)
            {
                tokens += Part(part);
            }
        }
        foreach (var t in request.Tools)
        {
            tokens += PerToolOverhead + Text(t.Name) + Text(t.Description ?? "") + Text(t.Parameters?.GetRawText() ?? t.HostedRaw?.GetRawText() ?? "");
        }
        return tokens;
    }

    private static int Part(ContentPart part) => part switch
    {
        TextPart t => Text(t.Text),
        ThinkingPart th => Text(th.Text),
        ToolCallPart c => Text(c.Name) + Text(c.ArgumentsJson) + 3,
        ToolResultPart r => 3 + r.Content.Sum(Part),
        MediaPart { IsDocument: true } => PerDocumentPage,
        MediaPart => PerImage,
        _ => 0,
    };

    /// <summary>Tokens of a piece of text.</summary>
    public static int Text(string text)
    {
        if (text.Length == 0)
        {
            return 0;
        }
        var asciiBytes = 0;
        var wide = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.Value < 0x80)
            {
                asciiBytes++;
            }
            else if (rune.Value < 0x800)
            {
                asciiBytes += 2; // accented Latin, Greek, Cyrillic: about two bytes a character, tokenized like Latin
            }
            else
            {
                wide++; // CJK and other scripts: roughly one token each
            }
        }
        return Math.Max(1, (int)Math.Round(asciiBytes / 4.0) + wide);
    }
}

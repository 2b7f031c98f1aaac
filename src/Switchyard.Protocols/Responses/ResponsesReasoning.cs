using Switchyard.Protocols.Canonical;

namespace Switchyard.Protocols.Responses;

/// <summary>
/// Reasoning items carry opaque state in <c>encrypted_content</c>. OpenAI's own goes back to a Responses upstream
/// only; the gateway uses the same field to carry another upstream's thinking signature (Anthropic's <c>signature</c>,
/// a redacted block's <c>data</c>) through a Responses client's history, marked so it is recognised on replay.
/// </summary>
public static class ResponsesReasoning
{
    private const string SignaturePrefix = "sy1.sig.";
    private const string RedactedPrefix = "sy1.redacted.";

    public static string ForSignature(string signature) => SignaturePrefix + signature;

    public static string? EncryptedContentOf(ContentPart part) => part switch
    {
        ThinkingPart { Signature: { } sig } => ForSignature(sig),
        ThinkingPart t => t.ResponsesEncryptedContent,
        RedactedThinkingPart r => RedactedPrefix + r.Data,
        _ => null,
    };

    /// <summary>The canonical part of a replayed reasoning item.</summary>
    public static ContentPart FromItem(string summary, string? encrypted)
    {
        if (encrypted is not null && encrypted.StartsWith(RedactedPrefix, StringComparison.Ordinal))
        {
            return new RedactedThinkingPart { Data = encrypted[RedactedPrefix.Length..] };
        }
        if (encrypted is not null && encrypted.StartsWith(SignaturePrefix, StringComparison.Ordinal))
        {
            return new ThinkingPart { Text = summary, Signature = encrypted[SignaturePrefix.Length..] };
        }
        var thinking = new ThinkingPart { Text = summary };
        thinking.ResponsesEncryptedContent = encrypted;
        return thinking;
    }
}

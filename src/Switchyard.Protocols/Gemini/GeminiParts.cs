using Switchyard.Protocols.Canonical;

namespace Switchyard.Protocols.Gemini;

/// <summary>Gemini's fields on canonical parts and tool-call starts, kept in their vendor fields.</summary>
public static class GeminiParts
{
    public const string ThoughtSignatureKey = "gemini.thoughtSignature";

    extension(VendorExtensible part)
    {
        /// <summary>Gemini's <c>thoughtSignature</c> on the part that carried it; only Gemini upstreams receive it (P27).</summary>
        public string? ThoughtSignature
        {
            get => part.GetVendorField(ThoughtSignatureKey) as string;
            set => part.SetVendorField(ThoughtSignatureKey, value);
        }
    }
}

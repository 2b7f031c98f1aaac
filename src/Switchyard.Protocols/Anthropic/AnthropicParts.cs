using System.Text.Json;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Protocols.Anthropic;

/// <summary>Anthropic's fields on canonical parts and tools, kept in their vendor fields.</summary>
public static class AnthropicParts
{
    public const string CacheControlKey = "anthropic.cache_control";

    extension(VendorExtensible part)
    {
        /// <summary>Anthropic <c>cache_control</c> (also sent by OpenAI-shaped clients such as litellm's); only Anthropic upstreams receive it (P30).</summary>
        public JsonElement? CacheControl
        {
            get => part.GetVendorField(CacheControlKey) is JsonElement e ? e : null;
            set => part.SetVendorField(CacheControlKey, value);
        }
    }
}

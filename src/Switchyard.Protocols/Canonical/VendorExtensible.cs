namespace Switchyard.Protocols.Canonical;

/// <summary>
/// A canonical object that can carry fields one vendor attached and no other understands — Anthropic's
/// <c>cache_control</c>, Gemini's <c>thoughtSignature</c> — keyed <c>vendor.field</c>. Each vendor's folder gives typed
/// access to its own (<c>AnthropicParts</c>, <c>GeminiParts</c>); only that vendor's encoders write them back (P27, P30).
/// </summary>
public abstract class VendorExtensible
{
    private Dictionary<string, object>? _vendorFields;

    /// <summary>The vendor fields, or null when there are none.</summary>
    public IReadOnlyDictionary<string, object>? VendorFields => _vendorFields;

    public object? GetVendorField(string key) => _vendorFields is not null && _vendorFields.TryGetValue(key, out var value) ? value : null;

    public void SetVendorField(string key, object? value)
    {
        if (value is null)
        {
            _vendorFields?.Remove(key);
        }
        else
        {
            (_vendorFields ??= new Dictionary<string, object>(StringComparer.Ordinal))[key] = value;
        }
    }
}

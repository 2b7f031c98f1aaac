using Switchyard.Protocols.Canonical;

namespace Switchyard.Protocols.Responses;

/// <summary>The Responses API's fields on canonical parts and tools, kept in their vendor fields.</summary>
public static class ResponsesParts
{
    public const string NamespaceKey = "responses.namespace";
    public const string LocalNameKey = "responses.name";
    public const string CustomKey = "responses.custom";
    public const string EncryptedContentKey = "responses.encrypted_content";

    extension(VendorExtensible part)
    {
        /// <summary>The <c>namespace</c> tool a function belongs to (its canonical name is flattened: <see cref="ResponsesTools.Flatten"/>).</summary>
        public string? ResponsesNamespace
        {
            get => part.GetVendorField(NamespaceKey) as string;
            set => part.SetVendorField(NamespaceKey, value);
        }

        /// <summary>The function's own name inside its namespace.</summary>
        public string? ResponsesLocalName
        {
            get => part.GetVendorField(LocalNameKey) as string;
            set => part.SetVendorField(LocalNameKey, value);
        }

        /// <summary>A <c>custom</c> (freeform) tool, carried to other upstreams as a function with one string parameter <c>input</c>.</summary>
        public bool ResponsesCustom
        {
            get => part.GetVendorField(CustomKey) is true;
            set => part.SetVendorField(CustomKey, value ? true : null);
        }

        /// <summary>OpenAI's <c>reasoning.encrypted_content</c>: only a Responses upstream can read it, so only it receives it.</summary>
        public string? ResponsesEncryptedContent
        {
            get => part.GetVendorField(EncryptedContentKey) as string;
            set => part.SetVendorField(EncryptedContentKey, value);
        }
    }
}

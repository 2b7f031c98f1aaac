namespace Switchyard.Protocols.Canonical;

/// <summary>One typed piece of a message: text, media, tool call / result or thinking.</summary>
public abstract class ContentPart : VendorExtensible;

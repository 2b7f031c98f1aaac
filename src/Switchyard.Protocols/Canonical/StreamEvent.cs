namespace Switchyard.Protocols.Canonical;

/// <summary>One event of a canonical response stream. Blocks are opened, filled and closed in order.</summary>
public abstract class StreamEvent : VendorExtensible;

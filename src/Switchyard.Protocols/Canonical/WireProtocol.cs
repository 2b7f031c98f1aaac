namespace Switchyard.Protocols.Canonical;

/// <summary>The wire protocol a client or upstream speaks.</summary>
public enum WireProtocol { OpenAI, Anthropic, Gemini }

namespace Switchyard.Protocols.Canonical;

/// <summary>The wire protocol a client or upstream speaks (<see cref="Responses"/>: OpenAI's Responses API).</summary>
public enum WireProtocol { OpenAI, Anthropic, Gemini, Responses }

namespace Switchyard.Inbound;

/// <summary>
/// Bounds on the shape of a request body beyond its size (<c>server.limits</c>), checked during the sniff's single
/// pass: what a hostile body could otherwise multiply into CPU and memory inside the gateway.
/// </summary>
/// <param name="JsonDepth">Nesting of objects and arrays.</param>
/// <param name="Messages">Entries of <c>messages</c> (Gemini <c>contents</c>).</param>
/// <param name="Parts">Content parts of the whole request: every message's and the system prompt's together.</param>
/// <param name="Tools">Tool definitions (Gemini: function declarations, and entries of <c>tools</c>).</param>
/// <param name="StringBytes">One JSON string (or property name), in bytes as sent.</param>
/// <param name="ToolSchemaBytes">One tool definition, in bytes as sent.</param>
internal sealed record InputLimits(int JsonDepth, int Messages, int Parts, int Tools, long StringBytes, long ToolSchemaBytes)
{
    public const int MaxJsonDepth = 256;

    /// <summary>
    /// Above what real clients send (Anthropic's own cap is 100,000 messages; Claude Code with many MCP servers sends
    /// a few hundred tools), far below what a 32 MB body of empty parts would cost.
    /// </summary>
    public static readonly InputLimits Default = new(64, 100_000, 200_000, 2_000, 16L * 1024 * 1024, 1024 * 1024);
}

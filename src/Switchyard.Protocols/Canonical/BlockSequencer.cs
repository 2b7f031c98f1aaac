namespace Switchyard.Protocols.Canonical;

/// <summary>
/// Keeps a decoded stream's blocks sequential for upstreams that have no blocks of their own (OpenAI deltas, Gemini
/// parts): a delta of another kind closes the open block and opens the next, numbered in order.
/// </summary>
internal sealed class BlockSequencer
{
    private int _next;
    private BlockKind _kind;

    /// <summary>The open block's index, or -1.</summary>
    public int Open { get; private set; } = -1;

    /// <summary>The index of an open block of <paramref name="kind"/>, opening one (and closing another) if needed.</summary>
    public int Ensure(BlockKind kind, List<StreamEvent> output)
    {
        if (Open >= 0 && _kind == kind)
        {
            return Open;
        }
        var index = Start(kind, output);
        // Text-only thinking from these upstreams carries no Anthropic signature: Anthropic clients never get it.
        output.Add(new BlockStartEvent(index, kind) { NeverSigned = kind == BlockKind.Thinking });
        return index;
    }

    /// <summary>Closes the open block and reserves the next index; the caller emits the start event (a tool call carries more).</summary>
    public int Start(BlockKind kind, List<StreamEvent> output)
    {
        Close(output);
        Open = _next++;
        _kind = kind;
        return Open;
    }

    public void Close(List<StreamEvent> output)
    {
        if (Open >= 0)
        {
            output.Add(new BlockStopEvent(Open));
            Open = -1;
        }
    }
}

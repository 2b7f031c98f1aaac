using Switchyard.Protocols.Sse;

namespace Switchyard.Protocols.Canonical;

/// <summary>Turns one upstream protocol's SSE events into canonical stream events. Stateful, one per stream.</summary>
public interface IStreamDecoder
{
    void OnEvent(SseEvent sse, List<StreamEvent> output);
    /// <summary>The upstream closed the stream; emit whatever is owed (or an error if it ended early).</summary>
    void OnEnd(List<StreamEvent> output);
    bool IsFinished { get; }
}

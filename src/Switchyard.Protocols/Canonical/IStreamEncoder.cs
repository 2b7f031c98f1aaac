using System.Buffers;

namespace Switchyard.Protocols.Canonical;

/// <summary>Writes canonical stream events as one client protocol's bytes. Stateful, one per stream.</summary>
public interface IStreamEncoder : IDisposable
{
    void Write(StreamEvent evt, IBufferWriter<byte> output);
    /// <summary>True once a terminal event (message stop or error) has been written.</summary>
    bool IsComplete { get; }
}

using System.Buffers;

namespace FlowExporter.Http;

/// <summary>
/// Where an exposition is rendered: a buffer that can go back to a marked position, so that a contributor that throws
/// midway leaves nothing of its own in the page.
/// </summary>
public interface IRewindableOutput : IBufferWriter<byte>
{
    BufferMark Mark();

    /// <summary>Drops everything written since <paramref name="mark"/>; throws when that is no longer possible.</summary>
    void Rewind(BufferMark mark);
}

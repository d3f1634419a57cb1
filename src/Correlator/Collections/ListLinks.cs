namespace FlowExporter.Correlator.Collections;

#pragma warning disable CA1051 // Fields on purpose: relinked in place inside table entries.

/// <summary>A table entry's place in a doubly linked list of slots (-1 at either end, or when not listed).</summary>
public struct ListLinks
{
    public int Previous;
    public int Next;

    public static ListLinks None => new() { Previous = -1, Next = -1 };
}

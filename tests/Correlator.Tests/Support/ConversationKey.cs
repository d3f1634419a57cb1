namespace FlowExporter.Correlator.Tests.Support;

/// <summary>A conversation as both sides of the comparison see it: protocol and its two endpoints in sorted order.</summary>
internal readonly record struct ConversationKey(string Protocol, string EndpointA, string EndpointB)
{
    public static ConversationKey Of(string protocol, string source, string destination, out bool sourceIsA) =>
        (sourceIsA = string.CompareOrdinal(source, destination) <= 0)
            ? new ConversationKey(protocol, source, destination)
            : new ConversationKey(protocol, destination, source);

    public override string ToString() => $"{Protocol} {EndpointA} <-> {EndpointB}";
}

/// <summary>Frames and bytes of a conversation in each direction (A to B, B to A).</summary>
internal sealed record ConversationTotals(long FramesAToB, long BytesAToB, long FramesBToA, long BytesBToA)
{
    public override string ToString() => $"A->B {FramesAToB} frames {BytesAToB} bytes, B->A {FramesBToA} frames {BytesBToA} bytes";
}

namespace FlowExporter.Correlator.CapturePoints;

/// <summary>
/// A capture point's identity: ifindex and name together. A renamed link, or one deleted and created again with a new
/// index, is a different point (closed, then opened), never the old handle under a new name.
/// </summary>
public readonly record struct CapturePointKey(int Index, string Name)
{
    public override string ToString() => $"{Name}#{Index}";
}

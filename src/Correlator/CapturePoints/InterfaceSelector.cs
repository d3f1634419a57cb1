namespace FlowExporter.Correlator.CapturePoints;

/// <summary>One <c>capture.interfaces</c> entry: a name or glob that selects interfaces, or with a leading <c>!</c> excludes them.</summary>
public sealed record InterfaceSelector(string Entry, InterfaceGlob Glob, bool Excludes)
{
    /// <summary>The label the points-by-selector gauge carries for this entry: the entry as written.</summary>
    public string Label => Entry;
}

namespace FlowExporter.Correlator.CapturePoints;

/// <summary>Why a point is closed: the link went away (gone, not down), went down (resumes when up), or is no longer selected.</summary>
public enum CloseReason
{
    /// <summary>Deleted, renamed, or moved to another namespace: never retried under this key.</summary>
    Gone,

    /// <summary>Still present but down: opened again when it comes up.</summary>
    Down,

    /// <summary>Present but no longer chosen (a selector or the OVS/route view changed, or it fell over max_points).</summary>
    Deselected,
}

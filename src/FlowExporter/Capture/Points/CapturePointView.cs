using FlowExporter.Correlator.CapturePoints;

namespace FlowExporter.Capture.Points;

/// <summary>
/// One capture point for health and metrics: its interface, whether it was named explicitly (kept while missing),
/// its handle and role while open, and its counters (for a named interface, added up across re-opens).
/// </summary>
internal sealed record CapturePointView(string Name, bool Named, ICapturePointHandle? Handle, CapturePointCounters Counters, CapturePointRole? Role = null)
{
    public bool IsCapturing => Handle?.IsCapturing == true;
}

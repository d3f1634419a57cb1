using FlowExporter.Correlator.CapturePoints;

namespace FlowExporter.Capture.Points;

/// <summary>
/// Opens a capture on one planned point (an interface, with the point's ring size) with one capture engine; the
/// <see cref="CapturePointManager"/> decides when. Registered once in the container (<see cref="CaptureModule"/>), so
/// an engine is chosen by registering another implementation.
/// </summary>
public interface ICapturePointOpener
{
    /// <summary>
    /// Starts capturing <paramref name="point"/>; the handle reports whether it captures. Throws only when the point
    /// cannot be attempted at all; the manager logs it and tries again only when the link changes.
    /// </summary>
    ValueTask<ICapturePointHandle> OpenAsync(PlannedPoint point, CancellationToken cancellationToken);
}

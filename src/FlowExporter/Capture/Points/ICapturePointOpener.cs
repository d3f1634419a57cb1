using FlowExporter.Correlator.CapturePoints;

namespace FlowExporter.Capture.Points;

/// <summary>
/// Opens a capture on one planned point (libpcap on the interface, with the point's ring size). The capture
/// composition plugs its engine in here; the manager decides when. Disposing the returned handle closes the capture.
/// </summary>
public interface ICapturePointOpener
{
    /// <summary>Throws when the point cannot be opened; the manager logs it and tries again only when the link changes.</summary>
    ValueTask<IAsyncDisposable> OpenAsync(PlannedPoint point, CancellationToken cancellationToken);
}

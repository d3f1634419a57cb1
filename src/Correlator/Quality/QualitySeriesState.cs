using FlowExporter.Correlator.Series;

namespace FlowExporter.Correlator.Quality;

#pragma warning disable CA1051 // Fields on purpose: updated in place inside the series table.

/// <summary>One quality series as the store keeps it: its 32-bit counts, the handshake sum, and its live connections.</summary>
internal struct QualitySeriesState : ISeriesState
{
    public QualityCellCounts Cells;
    private int _live;
    public long HandshakeSumNanoseconds;

    public int Live
    {
        readonly get => _live;
        set => _live = value;
    }
}

using System.Reflection;
using System.Runtime.CompilerServices;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Quality;
using FlowExporter.Correlator.Series;

namespace FlowExporter.Correlator.Tests.Connections;

/// <summary>
/// The structs stored once per tracked connection or series: their sizes are the memory per connection, so a field
/// added or a layout lost shows here first (docs/capture.md and docs/quality.md give the per-connection figures).
/// </summary>
public sealed class EntrySizeTests
{
    [Fact]
    public void Per_connection_structs_have_no_padding()
    {
        Assert.Equal(40, Unsafe.SizeOf<ConnectionKey>());
        Assert.Equal(32, Unsafe.SizeOf<TcpDirectionState>());
        Assert.Equal(112, Unsafe.SizeOf<ConnectionQuality>());
        Assert.Equal(48, SizeOf(typeof(ConnectionTracker).GetNestedType("Connection", BindingFlags.NonPublic)!)); // the counting point and its first capture time
    }

    private static int SizeOf(Type type) =>
        (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(type).Invoke(null, null)!;

    [Fact]
    public void Per_series_structs_have_no_padding()
    {
        Assert.Equal(64, Unsafe.SizeOf<SeriesKey>());
        Assert.Equal(108, Unsafe.SizeOf<QualityCellCounts>());
        Assert.Equal(120, Unsafe.SizeOf<QualitySeriesState>());
        Assert.Equal(192, Unsafe.SizeOf<QualitySample>()); // a snapshot's copy, kept between scrapes
    }
}

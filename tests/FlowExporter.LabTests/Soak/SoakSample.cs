using System.Globalization;

namespace FlowExporter.LabTests.Soak;

/// <summary>One row of the soak's samples.tsv: the table's series at one scrape (the memory columns are figures, not read here).</summary>
public sealed record SoakSample(
    long Seconds,
    long Tracked,
    long TrackedMax,
    long Opened,
    long ClosedFin,
    long ClosedRst,
    long ClosedTimeout,
    long ClosedEvicted,
    long Dropped,
    long Active,
    long SeriesRejected)
{
    public long Closed => ClosedFin + ClosedRst + ClosedTimeout + ClosedEvicted;

    public static IReadOnlyList<SoakSample> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        var columns = lines[0].Split('\t');
        return [.. lines.Skip(1).Select(line =>
        {
            var values = line.Split('\t');
            long Value(string name) => long.Parse(values[Array.IndexOf(columns, name)], CultureInfo.InvariantCulture);
            return new SoakSample(
                Value("t"),
                Value("tracked"),
                Value("tracked_max"),
                Value("opened"),
                Value("closed_fin"),
                Value("closed_rst"),
                Value("closed_timeout"),
                Value("closed_evicted"),
                Value("dropped"),
                Value("active"),
                Value("series_rejected"));
        })];
    }
}

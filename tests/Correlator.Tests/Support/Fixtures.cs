namespace FlowExporter.Correlator.Tests.Support;

internal static class Fixtures
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "fixtures");

    public static string Pcap(string name) => Path.Combine(Directory, "pcap", name);

    public static IEnumerable<string> AllPcaps() =>
        System.IO.Directory.EnumerateFiles(Path.Combine(Directory, "pcap")).Select(Path.GetFileName).Order(StringComparer.Ordinal)!;
}

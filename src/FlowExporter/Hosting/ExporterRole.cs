namespace FlowExporter.Hosting;

/// <summary>What the exporter's one composition root is composed for.</summary>
public enum ExporterRole
{
    /// <summary>The served exporter: every configured source, live capture on the clock, <c>/metrics</c> on Kestrel.</summary>
    Served,

    /// <summary><c>flowexporter replay FILE</c>: the capture engine on the file's timestamps and the static metadata.</summary>
    Replay,
}

using FlowExporter.Correlator.Exposition;
using FlowExporter.Correlator.Ovs;
using FlowExporter.Sources;

namespace FlowExporter.Ovs;

/// <summary>The OVS source in vsctl mode: one ovs-vsctl per interval (PolledSource: timeout, last good snapshot, health).</summary>
public sealed class VsctlOvsSource : PolledSource<OvsSnapshot>, IOvsSource
{
    private readonly VsctlClient _client;
    private readonly string _node;

    public VsctlOvsSource(OvsOptions options, string node, SourceHealth health, TimeProvider time, ILogger<VsctlOvsSource> logger)
        : base(IOvsSource.SourceName, options.Interval, options.Timeout, health, time, logger)
    {
        _client = new VsctlClient(options);
        _node = node;
    }

    protected override Task<OvsSnapshot> CollectAsync(CancellationToken cancellationToken) => _client.ReadAsync(cancellationToken);

    protected override void Write(ExpositionWriter writer, OvsSnapshot snapshot) => OvsSeries.Write(writer, snapshot, _node);

    protected override string ReasonOf(Exception exception) => exception switch
    {
        OvsVsctlException vsctl => vsctl.Reason,
        OvsdbFormatException => "parse_error",
        _ => "error",
    };
}

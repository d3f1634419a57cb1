namespace FlowExporter.LabTests.Snmp;

/// <summary>
/// The walks of snmpd's interface tables compare them with this machine's interfaces and with a second walk. The other
/// lab tests create and delete veths in the root namespace while they run, so these tests run alone, after them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HostInterfacesCollection
{
    public const string Name = "host interface table";
}

namespace FlowExporter.LabTests.Ipfix;

/// <summary>The IPFIX lab tests run one at a time: collectors, tshark and replays compete for two cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IpfixCollectorsCollection
{
    public const string Name = "ipfix-collectors";
}

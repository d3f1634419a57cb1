namespace FlowExporter.Correlator.Ipfix;

/// <summary>
/// The two templates every exporter sends (256 for IPv4 flows, 257 for IPv6): one biflow record per connection
/// (RFC 5103), source = initiator, forward counters the initiator's, reverse counters (enterprise 29305) the
/// target's. Pod names, namespaces and nodes use Antrea's elements (enterprise 56506) so that its flow aggregator and
/// the collectors configured for it read them; workloads, the observing node, the handshake RTT and the initiator
/// evidence have no element elsewhere and use ours, under the configured enterprise number. docs/ipfix.md lists them.
/// </summary>
public static class FlowTemplates
{
    public const ushort Ipv4TemplateId = 256;
    public const ushort Ipv6TemplateId = 257;

    /// <summary>RFC 5612's enterprise number for documentation: the default until the project has its own.</summary>
    public const uint DefaultEnterpriseNumber = 32473;

    private const ushort Varlen = InformationElement.VariableLength;

    /// <summary>The fields of a template, in record order.</summary>
    public static IReadOnlyList<InformationElement> Fields(bool ipv6, uint enterpriseNumber)
    {
        List<InformationElement> fields = ipv6
            ? [new("sourceIPv6Address", 27, 16), new("destinationIPv6Address", 28, 16)]
            : [new("sourceIPv4Address", 8, 4), new("destinationIPv4Address", 12, 4)];
        fields.AddRange(
        [
            new("sourceTransportPort", 7, 2),
            new("destinationTransportPort", 11, 2),
            new("protocolIdentifier", 4, 1),
            new("flowStartMilliseconds", 152, 8),
            new("flowEndMilliseconds", 153, 8),
            new("octetDeltaCount", 1, 8),
            new("packetDeltaCount", 2, 8),
            new("layer2OctetDeltaCount", 352, 8),
            new("reverseOctetDeltaCount", 1, 8, InformationElement.ReversePen),
            new("reversePacketDeltaCount", 2, 8, InformationElement.ReversePen),
            new("reverseLayer2OctetDeltaCount", 352, 8, InformationElement.ReversePen),
            new("tcpControlBits", 6, 2),
            new("reverseTcpControlBits", 6, 2, InformationElement.ReversePen),
            new("flowEndReason", 136, 1),
            new("biflowDirection", 239, 1),
            new("vlanId", 58, 2),
            new("interfaceName", 82, Varlen),
            new("sourcePodNamespace", 100, Varlen, InformationElement.AntreaPen),
            new("sourcePodName", 101, Varlen, InformationElement.AntreaPen),
            new("destinationPodNamespace", 102, Varlen, InformationElement.AntreaPen),
            new("destinationPodName", 103, Varlen, InformationElement.AntreaPen),
            new("sourceNodeName", 104, Varlen, InformationElement.AntreaPen),
            new("destinationNodeName", 105, Varlen, InformationElement.AntreaPen),
            new("observationNodeName", 1, Varlen, enterpriseNumber),
            new("sourceWorkloadKind", 2, Varlen, enterpriseNumber),
            new("sourceWorkloadName", 3, Varlen, enterpriseNumber),
            new("destinationWorkloadKind", 4, Varlen, enterpriseNumber),
            new("destinationWorkloadName", 5, Varlen, enterpriseNumber),
            new("tcpHandshakeRttMicroseconds", 6, 4, enterpriseNumber),
            new("initiatorEvidence", 7, 1, enterpriseNumber),
            new("tcpRetransmittedPacketDeltaCount", 8, 4, enterpriseNumber),
            new("reverseTcpRetransmittedPacketDeltaCount", 9, 4, enterpriseNumber),
        ]);
        return fields;
    }
}

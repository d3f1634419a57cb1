namespace FlowExporter.Ipfix;

/// <summary>How records reach a collector.</summary>
public enum IpfixTransport
{
    Udp,
    Tcp,
}

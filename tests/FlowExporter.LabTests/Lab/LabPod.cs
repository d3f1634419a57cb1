namespace FlowExporter.LabTests.Lab;

/// <summary>
/// A "pod": a network namespace whose <c>eth0</c> is the peer of a veth whose other end (<see cref="PortName"/>) lives in
/// the lab's node namespace and is a port of the lab bridge.
/// </summary>
public sealed record LabPod(string Name, string Namespace, string PortName, string Mac, string Ip, string IpCidr);

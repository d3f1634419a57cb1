using FlowExporter.Correlator.Ovs;

namespace FlowExporter.Correlator.CapturePoints;

/// <summary>
/// The <c>ovs_pod_ports</c> discovery source: the names of the OVS interfaces whose external_ids name a pod, by any
/// convention <see cref="OvsEndpointMapper"/> maps (OVN-Kubernetes, Kube-OVN, Antrea, iface-id). The interface's name
/// in OVSDB is the kernel link's name for the system ports CNIs create (veths), which is what capture opens.
/// </summary>
public static class OvsPodPorts
{
    public static IReadOnlySet<string> From(OvsSnapshot snapshot)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var sample in snapshot.Interfaces)
        {
            if (sample.Endpoint.IsMapped && sample.Interface.Name.Length > 0)
            {
                names.Add(sample.Interface.Name);
            }
        }

        return names;
    }
}

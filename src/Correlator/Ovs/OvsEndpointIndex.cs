using FlowExporter.Correlator.Metadata;
using FlowExporter.Correlator.Net;

namespace FlowExporter.Correlator.Ovs;

/// <summary>
/// OVS <c>external_ids</c> as a metadata source of its own, so a node without API access still labels its local pods:
/// every port whose CNI convention names a pod and records its addresses (<c>ip</c>, comma-separated for dual stack, as
/// Kube-OVN and Antrea write it) maps those addresses to the pod on this node, behind that port. OVN-Kubernetes records
/// no address, so its ports need the Kubernetes source (or the MAC) to be resolved.
/// </summary>
public static class OvsEndpointIndex
{
    public static EndpointIndex Build(OvsSnapshot snapshot, string node)
    {
        var builder = new EndpointIndexBuilder();
        foreach (var sample in snapshot.Interfaces)
        {
            var endpoint = sample.Endpoint;
            if (!endpoint.IsMapped || string.IsNullOrWhiteSpace(endpoint.Ip))
            {
                continue;
            }

            var addresses = new List<IpAddress>();
            foreach (var text in endpoint.Ip.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                // Kube-OVN may write an address with its prefix length.
                var address = text.Split('/')[0];
                if (IpPrefix.TryParseAddress(address, out var parsed))
                {
                    addresses.Add(parsed);
                }
            }

            var pod = new NetworkEndpoint(endpoint.PodNamespace!, endpoint.PodName!, node, string.Empty, string.Empty, HostNetwork: false, EndpointSource.Ovs)
            {
                Interface = sample.Interface.Name,
            };
            builder.AddPod(pod, addresses);
        }

        return builder.Build();
    }
}

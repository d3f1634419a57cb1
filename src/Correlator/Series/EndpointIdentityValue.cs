namespace FlowExporter.Correlator.Series;

/// <summary>
/// The label values of an <see cref="EndpointIdentity"/>: a pod (namespace, pod, workload), a workload (pod empty),
/// or a Service's ClusterIP (namespace and service). Never null; empty is unknown.
/// </summary>
public readonly record struct EndpointIdentityValue(string Namespace, string Pod, string Workload, string Service)
{
    public bool IsEmpty => Namespace.Length == 0 && Pod.Length == 0 && Workload.Length == 0 && Service.Length == 0;
}

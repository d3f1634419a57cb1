namespace FlowExporter.Correlator.Metadata;

/// <summary>The <c>workload_kind</c> values this exporter writes (other owner kinds are passed through as the API names them).</summary>
public static class WorkloadKinds
{
    public const string Deployment = "Deployment";
    public const string ReplicaSet = "ReplicaSet";
    public const string StatefulSet = "StatefulSet";
    public const string DaemonSet = "DaemonSet";
    public const string Job = "Job";
    public const string CronJob = "CronJob";

    /// <summary>A pod without a controlling owner (or a static/mirror pod owned by its Node): the pod is its own workload.</summary>
    public const string Pod = "Pod";

    /// <summary>An IP shared by host-network pods: it belongs to the node, not to any one of them.</summary>
    public const string Node = "Node";

    /// <summary>A Service's ClusterIP.</summary>
    public const string Service = "Service";
}

namespace FlowExporter.Correlator.Metadata;

/// <summary>
/// Names a pod's workload from its controlling owner, following the chain the controllers create:
/// ReplicaSet -> Deployment (when a Deployment owns the ReplicaSet), Job -> CronJob (when a CronJob owns the Job),
/// StatefulSet and DaemonSet as they are. A pod with no owner, or owned by its Node (a static pod's mirror), is its own
/// workload (kind Pod). Any other owner kind (a custom controller) is reported as the API names it.
/// When the ReplicaSet or Job is not (yet) known, the pod is named after it as it stands: ReplicaSet or Job.
/// </summary>
public static class WorkloadNaming
{
    public static (string Kind, string Name) Resolve(
        string podNamespace,
        string podName,
        OwnerRef? owner,
        Func<string, string, OwnedObject?> findReplicaSet,
        Func<string, string, OwnedObject?> findJob)
    {
        if (owner is null || owner.Kind == "Node")
        {
            return (WorkloadKinds.Pod, podName);
        }

        switch (owner.Kind)
        {
            case WorkloadKinds.ReplicaSet:
                if (findReplicaSet(podNamespace, owner.Name)?.Owner is { Kind: WorkloadKinds.Deployment } deployment)
                {
                    return (WorkloadKinds.Deployment, deployment.Name);
                }

                return (WorkloadKinds.ReplicaSet, owner.Name);
            case WorkloadKinds.Job:
                if (findJob(podNamespace, owner.Name)?.Owner is { Kind: WorkloadKinds.CronJob } cronJob)
                {
                    return (WorkloadKinds.CronJob, cronJob.Name);
                }

                return (WorkloadKinds.Job, owner.Name);
            default:
                return (owner.Kind, owner.Name);
        }
    }
}

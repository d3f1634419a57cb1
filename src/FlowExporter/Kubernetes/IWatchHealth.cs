namespace FlowExporter.Kubernetes;

/// <summary>How a <see cref="ResourceWatcher{T, TList}"/> reports the state of its resource to its source.</summary>
internal interface IWatchHealth
{
    /// <summary>A list succeeded or a watch was opened.</summary>
    void Healthy(string resource);

    /// <summary>A list or watch failed; <paramref name="reason"/> is a short label-safe word.</summary>
    void Failed(string resource, string reason, string message);

    /// <summary>The server said the resource version is gone (410): the watcher relists.</summary>
    void Expired(string resource);
}

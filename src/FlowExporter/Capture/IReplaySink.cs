namespace FlowExporter.Capture;

/// <summary>
/// Something fed by a replay besides its exposition (flow records): started before the file is read, and finished
/// after the file's end has ended its open connections, before the exposition is printed.
/// </summary>
public interface IReplaySink
{
    void Start();

    /// <summary>Delivers what is still queued (bounded in time), then stops.</summary>
    Task FinishAsync(CancellationToken cancellationToken);
}

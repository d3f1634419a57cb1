namespace FlowExporter.Sources;

/// <summary>A source that has not completed a successful collection yet: its last failure reason, and its instances still waiting.</summary>
public sealed record NotReadySource(string Source, string? Reason, IReadOnlyList<NotReadyInstance> Instances)
{
    /// <summary>One line for <c>/readyz</c>: <c>snmp: tor-1 (timeout), tor-2 (no answer yet)</c>.</summary>
    public string Describe() => Instances.Count > 0
        ? $"{Source}: {string.Join(", ", Instances.Select(i => $"{i.Instance} ({i.Reason ?? "no collection yet"})"))}"
        : $"{Source}: {Reason ?? "no collection yet"}";
}

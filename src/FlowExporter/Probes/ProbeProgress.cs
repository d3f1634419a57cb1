using System.Net;

namespace FlowExporter.Probes;

/// <summary>Per-probe state the connect callback fills in: the phase reached and the address connected to.</summary>
internal sealed class ProbeProgress
{
    public static readonly HttpRequestOptionsKey<ProbeProgress> Key = new("flowexporter.probe");

    public ProbePhase Phase { get; set; } = ProbePhase.Exchanging;

    public IPAddress? Remote { get; set; }
}

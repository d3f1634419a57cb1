namespace FlowExporter.Correlator.CaptureFiles;

/// <summary>An interface described by a capture file: its link type and, for pcapng, its name when recorded.</summary>
public sealed record CaptureInterface(int Id, int LinkType, string? Name, int SnapLength);

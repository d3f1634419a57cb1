namespace FlowExporter.Sources;

/// <summary>An instance of a source that has not succeeded yet, and why (null before its first attempt ended).</summary>
public sealed record NotReadyInstance(string Instance, string? Reason);

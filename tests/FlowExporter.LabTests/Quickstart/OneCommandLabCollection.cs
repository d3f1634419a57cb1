namespace FlowExporter.LabTests.Quickstart;

/// <summary>Tests that run scripts/lab: one at a time, so two labs' traffic never competes for this machine's CPUs.</summary>
[CollectionDefinition(Name)]
public sealed class OneCommandLabCollection
{
    public const string Name = "one-command lab";
}

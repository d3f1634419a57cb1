namespace FlowExporter.LabTests.Soak;

/// <summary>
/// The load and soak tests keep the two cores busy for minutes: they run alone, after the other lab tests, so the
/// timing-sensitive ones (waits on linger, OVS refresh) do not compete with them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SoakCollection
{
    public const string Name = "load and soak";
}

namespace FlowExporter.LabTests.Quickstart;

/// <summary>
/// Tests that run scripts/lab: one at a time and after the other lab tests (not beside them), so the lab's continuous
/// traffic through the userspace datapath never competes with another test's timing on this machine's two CPUs.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OneCommandLabCollection
{
    public const string Name = "one-command lab";
}

namespace FlowExporter.LabTests.Image;

/// <summary>
/// The image tests share one build of the image (scripts/image runs once per test run), and run alone: the build
/// publishes the exporter and packs layers, which would compete with other lab tests' timing on two cores.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ImageCollection : ICollectionFixture<BuiltImage>
{
    public const string Name = "container image";
}

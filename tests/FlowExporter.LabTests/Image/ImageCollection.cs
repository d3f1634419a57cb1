namespace FlowExporter.LabTests.Image;

/// <summary>The image tests share one build of the image (scripts/image runs once per test run).</summary>
[CollectionDefinition(Name)]
public sealed class ImageCollection : ICollectionFixture<BuiltImage>
{
    public const string Name = "container image";
}

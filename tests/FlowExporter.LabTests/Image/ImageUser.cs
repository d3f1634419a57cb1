namespace FlowExporter.LabTests.Image;

/// <summary>The image's user (Containerfile USER, the DaemonSet's runAsUser/runAsGroup/fsGroup).</summary>
public static class ImageUser
{
    public const int Uid = 65532;

    public const int Gid = 65532;
}

namespace FlowExporter.Tests.Deploy;

/// <summary>The repository's deploy artifacts, found from the test's output folder.</summary>
internal static class RepositoryFiles
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    public static string Root => RootPath.Value;

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "FlowExporter.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"FlowExporter.sln not found in any parent of {AppContext.BaseDirectory}");
    }
}

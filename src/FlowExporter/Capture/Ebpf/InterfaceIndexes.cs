using System.Runtime.InteropServices;

namespace FlowExporter.Capture.Ebpf;

/// <summary>An interface's index by name in the process's network namespace (if_nametoindex).</summary>
internal static partial class InterfaceIndexes
{
    /// <summary>The index, or 0 when no such interface exists here.</summary>
    public static int Of(string name) => name.Length is > 0 and < 16 ? (int)IfNameToIndex(name) : 0;

    [LibraryImport("libc", EntryPoint = "if_nametoindex", StringMarshalling = StringMarshalling.Utf8)]
    private static partial uint IfNameToIndex(string name);
}

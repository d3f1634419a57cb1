using System.Runtime.InteropServices;

namespace FlowExporter.Capture.Ebpf;

/// <summary>
/// The libbpf.so.1 entry points the eBPF engine uses (libbpf 1.x semantics: a failing call returns a negative errno,
/// or NULL with errno set). No native library of ours: the kernel object is flow.bpf.o, everything else is libbpf.
/// </summary>
internal static unsafe partial class LibbpfNative
{
    private const string Libbpf = "libbpf.so.1";
    private const string Libc = "libc";

    public const int TcIngress = 1;
    public const int TcEgress = 2;
    public const uint TcReplace = 1;
    public const ulong UpdateAny = 0;

    /// <summary>struct bpf_tc_hook (libbpf 1.x): sz, ifindex, attach_point, parent, padded to 8.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct TcHook
    {
        public nuint Size;
        public int InterfaceIndex;
        public int AttachPoint;
        public uint Parent;
        private readonly uint _padding;

        public static TcHook For(int interfaceIndex, int attachPoint) =>
            new() { Size = (nuint)sizeof(TcHook), InterfaceIndex = interfaceIndex, AttachPoint = attachPoint };
    }

    /// <summary>struct bpf_tc_opts (libbpf 1.x): sz, prog_fd, flags, prog_id, handle, priority, padded to 8.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct TcOptions
    {
        public nuint Size;
        public int ProgramFd;
        public uint Flags;
        public uint ProgramId;
        public uint Handle;
        public uint Priority;
        private readonly uint _padding;

        public static TcOptions For(uint handle, uint priority) =>
            new() { Size = (nuint)sizeof(TcOptions), Handle = handle, Priority = priority };
    }

    [LibraryImport(Libbpf, EntryPoint = "bpf_object__open_file", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial nint ObjectOpenFile(string path, nint options);

    [LibraryImport(Libbpf, EntryPoint = "bpf_object__load")]
    public static partial int ObjectLoad(nint bpfObject);

    [LibraryImport(Libbpf, EntryPoint = "bpf_object__close")]
    public static partial void ObjectClose(nint bpfObject);

    [LibraryImport(Libbpf, EntryPoint = "bpf_object__find_program_by_name", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint FindProgram(nint bpfObject, string name);

    [LibraryImport(Libbpf, EntryPoint = "bpf_program__fd")]
    public static partial int ProgramFd(nint program);

    [LibraryImport(Libbpf, EntryPoint = "bpf_object__find_map_by_name", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint FindMap(nint bpfObject, string name);

    [LibraryImport(Libbpf, EntryPoint = "bpf_map__fd")]
    public static partial int MapFd(nint map);

    [LibraryImport(Libbpf, EntryPoint = "bpf_map__set_max_entries")]
    public static partial int MapSetMaxEntries(nint map, uint maxEntries);

    [LibraryImport(Libbpf, EntryPoint = "bpf_map_update_elem")]
    public static partial int MapUpdate(int fd, void* key, void* value, ulong flags);

    [LibraryImport(Libbpf, EntryPoint = "bpf_map_lookup_elem")]
    public static partial int MapLookup(int fd, void* key, void* value);

    [LibraryImport(Libbpf, EntryPoint = "bpf_map_delete_elem")]
    public static partial int MapDelete(int fd, void* key);

    [LibraryImport(Libbpf, EntryPoint = "bpf_map_lookup_and_delete_batch")]
    public static partial int MapLookupAndDeleteBatch(int fd, void* inBatch, void* outBatch, void* keys, void* values, uint* count, nint options);

    [LibraryImport(Libbpf, EntryPoint = "libbpf_num_possible_cpus")]
    public static partial int PossibleCpus();

    [LibraryImport(Libbpf, EntryPoint = "libbpf_set_print")]
    public static partial nint SetPrint(nint printFunction);

    [LibraryImport(Libbpf, EntryPoint = "bpf_tc_hook_create")]
    public static partial int TcHookCreate(TcHook* hook);

    [LibraryImport(Libbpf, EntryPoint = "bpf_tc_hook_destroy")]
    public static partial int TcHookDestroy(TcHook* hook);

    [LibraryImport(Libbpf, EntryPoint = "bpf_tc_attach")]
    public static partial int TcAttach(TcHook* hook, TcOptions* options);

    [LibraryImport(Libbpf, EntryPoint = "bpf_tc_detach")]
    public static partial int TcDetach(TcHook* hook, TcOptions* options);

    [LibraryImport(Libbpf, EntryPoint = "bpf_tc_query")]
    public static partial int TcQuery(TcHook* hook, TcOptions* options);

    /// <summary>Formats libbpf's log lines (a va_list is a pointer on x86-64 and passes through as one).</summary>
    [LibraryImport(Libc, EntryPoint = "vsnprintf")]
    public static partial int FormatArguments(byte* buffer, nuint size, nint format, nint arguments);
}

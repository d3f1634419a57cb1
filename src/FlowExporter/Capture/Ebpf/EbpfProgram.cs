namespace FlowExporter.Capture.Ebpf;

/// <summary>
/// The loaded TC classifier (bpf/flow.bpf.c) and its maps, opened and loaded through libbpf. Attaching it to
/// interfaces is <see cref="TcAttachment"/>'s; reading its maps is <see cref="EbpfSweeper"/>'s. Disposing it closes
/// the object: filters still attached keep the program alive in the kernel, so detach them first.
/// </summary>
public sealed class EbpfProgram : IDisposable
{
    /// <summary>Connections each of the two generation maps holds unless configured otherwise.</summary>
    public const uint DefaultFlowEntries = 65_536;

    private nint _object;

    private EbpfProgram(nint bpfObject, uint flowEntries)
    {
        _object = bpfObject;
        FlowEntries = flowEntries;
        IngressFd = LibbpfNative.ProgramFd(Require(LibbpfNative.FindProgram(bpfObject, EbpfMapLayout.IngressProgram), EbpfMapLayout.IngressProgram));
        EgressFd = LibbpfNative.ProgramFd(Require(LibbpfNative.FindProgram(bpfObject, EbpfMapLayout.EgressProgram), EbpfMapLayout.EgressProgram));
        DevicesFd = MapFd(EbpfMapLayout.Devices);
        FlowsFds = [MapFd(EbpfMapLayout.FlowsEven), MapFd(EbpfMapLayout.FlowsOdd)];
        GenerationFd = MapFd(EbpfMapLayout.Generation);
        RunsFd = MapFd(EbpfMapLayout.Runs);
        CountersFd = MapFd(EbpfMapLayout.Counters);
    }

    /// <summary>flow.bpf.o beside the binary, where the build puts it.</summary>
    public static string DefaultObjectPath => Path.Combine(AppContext.BaseDirectory, "flow.bpf.o");

    /// <summary>The classifier for ingress hooks.</summary>
    public int IngressFd { get; }

    /// <summary>The classifier for egress hooks (it also counts the headers of segments cut after the hook).</summary>
    public int EgressFd { get; }

    internal int DevicesFd { get; }

    /// <summary>Entries of each generation map; the kernel holds two of them (see docs/ebpf.md for the memory).</summary>
    public uint FlowEntries { get; }

    internal int[] FlowsFds { get; }

    internal int GenerationFd { get; }

    internal int RunsFd { get; }

    internal int CountersFd { get; }

    /// <summary>Opens and loads the object; failures are classified (<see cref="EbpfException.Kind"/>).</summary>
    public static EbpfProgram Load(string objectPath, uint flowEntries = DefaultFlowEntries)
    {
        ArgumentOutOfRangeException.ThrowIfZero(flowEntries);
        if (!File.Exists(objectPath))
        {
            throw new EbpfException(EbpfFailureKind.ObjectInvalid, LinuxErrno.Enoent, $"the eBPF object {objectPath} does not exist");
        }

        try
        {
            using var log = LibbpfLog.Install();
            var bpfObject = LibbpfNative.ObjectOpenFile(objectPath, 0);
            if (bpfObject == 0)
            {
                var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                throw new EbpfException(EbpfFailureKind.ObjectInvalid, errno, $"libbpf could not open {objectPath}: {LinuxErrno.Describe(errno)}");
            }

            try
            {
                foreach (var name in new[] { EbpfMapLayout.FlowsEven, EbpfMapLayout.FlowsOdd, EbpfMapLayout.TcpStates })
                {
                    var sized = LibbpfNative.MapSetMaxEntries(Require(LibbpfNative.FindMap(bpfObject, name), name), flowEntries);
                    if (sized < 0)
                    {
                        throw new EbpfException(EbpfFailureKind.Other, -sized, $"could not size map {name}: {LinuxErrno.Describe(-sized)}");
                    }
                }

                var loaded = LibbpfNative.ObjectLoad(bpfObject);
                if (loaded < 0)
                {
                    throw LoadFailure(-loaded, log);
                }

                return new EbpfProgram(bpfObject, flowEntries);
            }
            catch
            {
                LibbpfNative.ObjectClose(bpfObject);
                throw;
            }
        }
        catch (DllNotFoundException missing)
        {
            throw new EbpfException(EbpfFailureKind.LibbpfMissing, 0, $"libbpf.so.1 is not installed (package libbpf1): {missing.Message}");
        }
    }

    public void Dispose()
    {
        if (_object != 0)
        {
            LibbpfNative.ObjectClose(_object);
            _object = 0;
        }
    }

    private static EbpfException LoadFailure(int errno, LibbpfLog log)
    {
        var tail = log.VerifierTail();
        if (tail.Count > 0)
        {
            return new EbpfException(EbpfFailureKind.VerifierRejected, errno, $"the kernel's verifier rejected the eBPF program ({LinuxErrno.Describe(errno)}); its last lines:", tail);
        }

        return errno is LinuxErrno.Eperm or LinuxErrno.Eacces
            ? new EbpfException(EbpfFailureKind.MissingCapability, errno, $"loading the eBPF program was refused ({LinuxErrno.Describe(errno)}): {RefusalCause(errno)}")
            : new EbpfException(EbpfFailureKind.Other, errno, $"loading the eBPF program failed: {LinuxErrno.Describe(errno)}; libbpf said: {string.Join(" | ", log.Lines.TakeLast(5))}");
    }

    /// <summary>
    /// With CAP_BPF effective, an EPERM comes from elsewhere: most often a container runtime's seccomp profile that
    /// allows bpf(2) only with CAP_SYS_ADMIN (podman's and CRI-O's default profile from containers-common; containerd's
    /// and Docker's allow it with CAP_BPF).
    /// </summary>
    private static string RefusalCause(int errno) =>
        errno == LinuxErrno.Eperm && ThreadCapabilities.IsEffective(ThreadCapabilities.Bpf) && ProcessSeccomp.IsFiltered()
            ? "the process holds CAP_BPF, but its seccomp profile refuses bpf(2) (a runtime default that allows it only with CAP_SYS_ADMIN: use a profile that allows bpf with CAP_BPF, docs/deploy.md)"
            : "the process needs CAP_BPF and CAP_PERFMON (and CAP_NET_ADMIN to attach)";

    private static nint Require(nint handle, string name) =>
        handle != 0 ? handle : throw new EbpfException(EbpfFailureKind.ObjectInvalid, LinuxErrno.Enoent, $"the eBPF object has no {name}: it does not match this build");

    private int MapFd(string name) => LibbpfNative.MapFd(Require(LibbpfNative.FindMap(_object, name), name));
}

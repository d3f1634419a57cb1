namespace FlowExporter.Capture.Ebpf;

/// <summary>
/// The program attached to ingress and egress of one interface (by index, in the calling thread's network namespace)
/// as a direct-action cls_bpf filter with our own priority and handle. Attaching replaces a filter already at that
/// priority and handle (ours from a run that was killed), so a restart never duplicates it; other filters on the device
/// are not touched. Disposing detaches both filters, and removes the clsact qdisc only when this attachment created it.
/// </summary>
public sealed unsafe class TcAttachment : IDisposable
{
    /// <summary>
    /// Our filter priority on both hooks (tc's "pref"): low, so the program runs before most other tools' filters and
    /// sees what they would end (it returns TC_ACT_UNSPEC, so theirs still run after it). A filter at a lower number
    /// that ends classification hides its packets from us.
    /// </summary>
    public const uint Priority = 17;

    /// <summary>Our filter handle on both hooks.</summary>
    public const uint Handle = 0xFE17;

    private static readonly int[] Hooks = [LibbpfNative.TcIngress, LibbpfNative.TcEgress];
    private readonly EbpfProgram _program;
    private bool _attached;

    private TcAttachment(EbpfProgram program, int interfaceIndex, bool createdQdisc)
    {
        _program = program;
        InterfaceIndex = interfaceIndex;
        CreatedQdisc = createdQdisc;
        _attached = true;
    }

    public int InterfaceIndex { get; }

    /// <summary>True when the device had no clsact qdisc and this attachment added it (and so removes it).</summary>
    public bool CreatedQdisc { get; }

    public static TcAttachment Attach(EbpfProgram program, int interfaceIndex)
    {
        ThreadCapabilities.RaisePermitted();
        var qdisc = LibbpfNative.TcHook.For(interfaceIndex, LibbpfNative.TcIngress | LibbpfNative.TcEgress);
        var created = LibbpfNative.TcHookCreate(&qdisc);
        if (created < 0 && created != -LinuxErrno.Eexist)
        {
            throw EbpfException.FromTc("creating the clsact qdisc", interfaceIndex, created);
        }

        var attachment = new TcAttachment(program, interfaceIndex, created == 0);
        var attachedHooks = 0;
        try
        {
            var index = (uint)interfaceIndex;
            var device = DeviceOffloads.HasTcpSegmentationOffload(interfaceIndex) ? 0u : EbpfMapLayout.DeviceSoftwareSegmentation;
            var stored = LibbpfNative.MapUpdate(program.DevicesFd, &index, &device, LibbpfNative.UpdateAny);
            if (stored < 0)
            {
                throw new EbpfException(EbpfFailureKind.Other, -stored, $"recording interface {interfaceIndex}'s offloads failed: {LinuxErrno.Describe(-stored)}");
            }

            foreach (var point in Hooks)
            {
                var hook = LibbpfNative.TcHook.For(interfaceIndex, point);
                var options = LibbpfNative.TcOptions.For(Handle, Priority);
                options.ProgramFd = point == LibbpfNative.TcIngress ? program.IngressFd : program.EgressFd;
                options.Flags = LibbpfNative.TcReplace;
                var result = LibbpfNative.TcAttach(&hook, &options);
                if (result < 0)
                {
                    throw EbpfException.FromTc(point == LibbpfNative.TcIngress ? "attaching to ingress" : "attaching to egress", interfaceIndex, result);
                }

                attachedHooks++;
            }
        }
        catch
        {
            if (attachedHooks > 0)
            {
                attachment.Dispose();
            }
            else if (attachment.CreatedQdisc)
            {
                _ = LibbpfNative.TcHookDestroy(&qdisc); // best effort: the attach failure is what is reported
            }

            throw;
        }

        return attachment;
    }

    /// <summary>True when a filter with our priority and handle sits on the given hook of the interface.</summary>
    public static bool IsAttached(int interfaceIndex, bool ingress)
    {
        var hook = LibbpfNative.TcHook.For(interfaceIndex, ingress ? LibbpfNative.TcIngress : LibbpfNative.TcEgress);
        var options = LibbpfNative.TcOptions.For(Handle, Priority);
        return LibbpfNative.TcQuery(&hook, &options) == 0;
    }

    /// <summary>
    /// The first failure of the detach on dispose (positive errno), or 0. A link that vanished took its filters with it,
    /// which is not a failure.
    /// </summary>
    public int DetachError { get; private set; }

    public void Dispose()
    {
        if (!_attached)
        {
            return;
        }

        _attached = false;
        ThreadCapabilities.RaisePermitted();
        foreach (var point in Hooks)
        {
            var hook = LibbpfNative.TcHook.For(InterfaceIndex, point);
            var options = LibbpfNative.TcOptions.For(Handle, Priority);
            Note(LibbpfNative.TcDetach(&hook, &options));
        }

        if (CreatedQdisc)
        {
            var qdisc = LibbpfNative.TcHook.For(InterfaceIndex, LibbpfNative.TcIngress | LibbpfNative.TcEgress);
            Note(LibbpfNative.TcHookDestroy(&qdisc));
        }

        var index = (uint)InterfaceIndex;
        Note(LibbpfNative.MapDelete(_program.DevicesFd, &index));
    }

    private void Note(int result)
    {
        if (result < 0 && result != -LinuxErrno.Enoent && result != -LinuxErrno.Enodev && DetachError == 0)
        {
            DetachError = -result;
        }
    }
}

namespace FlowExporter.Capture.Ebpf;

/// <summary>
/// The program attached to ingress and egress of one interface (by index, in the calling thread's network namespace)
/// as a direct-action cls_bpf filter with our own priority and handle. Attaching replaces a filter already at that
/// priority and handle (ours from a run that was killed), so a restart never duplicates it; other filters on the device
/// are not touched. Disposing detaches both filters, and removes the clsact qdisc only when this attachment created it.
/// </summary>
public sealed unsafe class TcAttachment : IDisposable
{
    /// <summary>Our filter priority on both hooks (tc's "pref"); tools that share the device use others.</summary>
    public const uint Priority = 0xFE17;

    /// <summary>Our filter handle on both hooks.</summary>
    public const uint Handle = 0xFE17;

    private static readonly int[] Hooks = [LibbpfNative.TcIngress, LibbpfNative.TcEgress];
    private bool _attached;

    private TcAttachment(int interfaceIndex, bool createdQdisc)
    {
        InterfaceIndex = interfaceIndex;
        CreatedQdisc = createdQdisc;
        _attached = true;
    }

    public int InterfaceIndex { get; }

    /// <summary>True when the device had no clsact qdisc and this attachment added it (and so removes it).</summary>
    public bool CreatedQdisc { get; }

    public static TcAttachment Attach(EbpfProgram program, int interfaceIndex)
    {
        var qdisc = LibbpfNative.TcHook.For(interfaceIndex, LibbpfNative.TcIngress | LibbpfNative.TcEgress);
        var created = LibbpfNative.TcHookCreate(&qdisc);
        if (created < 0 && created != -LinuxErrno.Eexist)
        {
            throw EbpfException.FromTc("creating the clsact qdisc", interfaceIndex, created);
        }

        var attachment = new TcAttachment(interfaceIndex, created == 0);
        var attachedHooks = 0;
        try
        {
            foreach (var point in Hooks)
            {
                var hook = LibbpfNative.TcHook.For(interfaceIndex, point);
                var options = LibbpfNative.TcOptions.For(Handle, Priority);
                options.ProgramFd = program.ProgramFd;
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
    }

    private void Note(int result)
    {
        if (result < 0 && result != -LinuxErrno.Enoent && result != -LinuxErrno.Enodev && DetachError == 0)
        {
            DetachError = -result;
        }
    }
}

namespace FlowExporter.Capture.Ebpf;

/// <summary>A load, attach or map operation of the eBPF engine that failed, classified for the fallback decision.</summary>
public sealed class EbpfException : Exception
{
    public EbpfException()
    {
    }

    public EbpfException(string message)
        : base(message)
    {
    }

    public EbpfException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public EbpfException(EbpfFailureKind kind, int errno, string message, IReadOnlyList<string>? verifierTail = null)
        : base(verifierTail is { Count: > 0 } ? $"{message}{Environment.NewLine}{string.Join(Environment.NewLine, verifierTail)}" : message)
    {
        Kind = kind;
        Errno = errno;
        VerifierTail = verifierTail ?? [];
    }

    public EbpfFailureKind Kind { get; } = EbpfFailureKind.Other;

    /// <summary>The positive errno of the failing call (0 when none applies).</summary>
    public int Errno { get; }

    /// <summary>The verifier's last log lines when it rejected the program (bounded), else empty.</summary>
    public IReadOnlyList<string> VerifierTail { get; } = [];

    /// <summary>Classifies a failing tc (netlink) call.</summary>
    public static EbpfException FromTc(string operation, int interfaceIndex, int result)
    {
        var errno = -result;
        var kind = errno switch
        {
            LinuxErrno.Eperm or LinuxErrno.Eacces => EbpfFailureKind.MissingCapability,
            LinuxErrno.Enodev => EbpfFailureKind.InterfaceMissing,
            LinuxErrno.Eopnotsupp or LinuxErrno.Enoent or LinuxErrno.Einval => EbpfFailureKind.NoClsact,
            _ => EbpfFailureKind.Other,
        };
        return new EbpfException(kind, errno, $"{operation} on interface {interfaceIndex} failed: {LinuxErrno.Describe(errno)}");
    }
}

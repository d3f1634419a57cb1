using System.Runtime.InteropServices;

namespace FlowExporter.Capture.Ebpf;

/// <summary>The Linux errno values the eBPF engine tells apart.</summary>
internal static class LinuxErrno
{
    public const int Eperm = 1;
    public const int Enoent = 2;
    public const int Eexist = 17;
    public const int Enodev = 19;
    public const int Einval = 22;
    public const int Enospc = 28;
    public const int Eopnotsupp = 95;
    public const int Eacces = 13;
    public const int E2big = 7;

    public static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
}

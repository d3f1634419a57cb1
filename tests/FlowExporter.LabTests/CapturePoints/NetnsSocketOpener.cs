using System.ComponentModel;
using System.Runtime.InteropServices;
using FlowExporter.Capture.Points;

namespace FlowExporter.LabTests.CapturePoints;

/// <summary>
/// Opens the rtnetlink socket inside a named network namespace: on a thread of its own it enters the namespace with
/// setns(2) and opens the socket there (a netlink socket belongs to its creator's namespace for life), then the thread
/// ends, so no other code ever runs in that namespace by accident.
/// </summary>
internal static class NetnsSocketOpener
{
    public static NetlinkSocket Open(string networkNamespace, int receiveBufferBytes = RtnetlinkWatcher.DefaultReceiveBufferBytes)
    {
        NetlinkSocket? socket = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle($"/var/run/netns/{networkNamespace}");
                if (NetlinkNative.SetNs((int)handle.DangerousGetHandle(), NetlinkNative.CloneNewNet) != 0)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError(), $"setns into {networkNamespace}");
                }

                socket = RtnetlinkWatcher.OpenSocket(receiveBufferBytes);
            }
            catch (Exception error)
            {
                failure = error;
            }
        });
        thread.Start();
        thread.Join();
        return failure is null ? socket! : throw new InvalidOperationException($"opening rtnetlink in {networkNamespace}", failure);
    }
}

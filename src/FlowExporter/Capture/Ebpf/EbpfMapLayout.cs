using System.Runtime.InteropServices;

namespace FlowExporter.Capture.Ebpf;

/// <summary>
/// The program's map records, byte for byte as bpf/flow.bpf.c declares them (struct flow_key, 44 bytes; struct
/// flow_value, 128 bytes); the sizes are pinned by a test.
/// </summary>
internal static class EbpfMapLayout
{
    public const string IngressProgram = "flowexporter_ingress";
    public const string EgressProgram = "flowexporter_egress";
    public const string Devices = "devices";
    public const uint DeviceSoftwareSegmentation = 1;
    public const string FlowsEven = "flows_0";
    public const string FlowsOdd = "flows_1";
    public const string Generation = "generation";
    public const string Runs = "runs";
    public const string Counters = "counters";
    public const string TcpStates = "tcp_states";
    public const uint HandshakeMeasured = 0x1;
    public const uint HandshakeAckFromB = 0x2;
    public const uint HandshakeAckReset = 0x4;
    public const uint UnreachableQuotedFromA = 0x1;
    public const uint UnreachableQuotedFromB = 0x2;
    public const int CounterCount = 8;

    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    public unsafe struct FlowKey
    {
        public fixed byte AddressA[16];
        public fixed byte AddressB[16];
        public uint InterfaceIndex;
        public ushort PortA;
        public ushort PortB;
        public byte Protocol;
        private fixed byte _padding[3];
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct FlowValue
    {
        public ulong BytesFromA;
        public ulong BytesFromB;
        public ulong PacketsFromA;
        public ulong PacketsFromB;
        public ulong FirstNanoseconds;
        public ulong LastNanoseconds;
        public ulong SynNanoseconds;
        public ulong SynAckNanoseconds;
        public uint TcpFlagsFromA;
        public uint TcpFlagsFromB;
        public uint Evidence;
        public byte FirstFromB;
        public byte FirstTcpFlags;
        public ushort VlanId;
        public ulong IpBytesFromA;
        public ulong IpBytesFromB;
        public ulong HandshakeRttNanoseconds;
        public uint RetransmissionsFromA;
        public uint RetransmissionsFromB;
        public uint ZeroWindowsFromA;
        public uint ZeroWindowsFromB;
        public uint Handshake;
        public uint Unreachable;
    }
}

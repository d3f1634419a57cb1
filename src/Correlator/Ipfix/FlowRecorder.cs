using System.Runtime.InteropServices;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;

namespace FlowExporter.Correlator.Ipfix;

/// <summary>
/// The flow-record side of the connection table: per table slot, what the connection carried since its last record,
/// kept in an array of its own so that a table without IPFIX pays neither memory nor time for it. The table calls
/// <see cref="Opened"/> when a slot opens, <see cref="Count"/> for each packet (<see cref="CountMany"/> for another
/// engine's report of several), and <see cref="End"/> when a record is due
/// (<see cref="IsDue"/>: active timeout, checked on the connection's packets) or the connection ends.
/// </summary>
public sealed class FlowRecorder : IConnectionRecords
{
    private readonly IFlowRecordSink _sink;
    private readonly long _activeTimeout;
    private readonly int _capacity;
    private FlowState[] _states = [];

    /// <param name="capacity">The table's capacity: the side array never grows past it.</param>
    public FlowRecorder(IFlowRecordSink sink, TimeSpan activeTimeout, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(activeTimeout, TimeSpan.Zero);
        _sink = sink;
        _activeTimeout = activeTimeout.Ticks * 100;
        _capacity = capacity;
    }

    /// <summary>Bytes held per tracked connection (the side array's element).</summary>
    public static int BytesPerConnection => System.Runtime.CompilerServices.Unsafe.SizeOf<FlowState>();

    public long ApproximateBytes() => (long)_states.Length * BytesPerConnection;

    public void Opened(int slot, ushort vlanId)
    {
        if (slot >= _states.Length)
        {
            var size = Math.Max(slot + 1, Math.Min(Math.Max(1024, _states.Length * 2), _capacity));
            Array.Resize(ref _states, size);
        }

        _states[slot] = new FlowState { VlanId = vlanId };
    }

    /// <summary>True when the slot's current record has lasted the active timeout: emit it before counting more.</summary>
    public bool IsDue(int slot, long now)
    {
        ref var state = ref _states[slot];
        return state.Packets() != 0 && now - state.Start >= _activeTimeout;
    }

    public void Count(int slot, bool fromInitiator, uint wireLength, int ipLength, TcpFlags tcpFlags, long now) =>
        CountMany(slot, fromInitiator, wireLength, (ulong)ipLength, 1, tcpFlags, now, now);

    public void CountMany(int slot, bool fromInitiator, ulong wireBytes, ulong ipOctets, ulong packets, TcpFlags tcpFlags, long first, long last)
    {
        if (packets == 0)
        {
            return;
        }

        ref var state = ref _states[slot];
        if (state.Packets() == 0)
        {
            state.Start = first;
        }

        state.End = Math.Max(state.End, last);
        ref var direction = ref fromInitiator ? ref state.Forward : ref state.Reverse;
        direction.Layer2Octets += wireBytes;
        direction.IpOctets += ipOctets;
        direction.Packets += packets;
        (fromInitiator ? ref state.ForwardTcpFlags : ref state.ReverseTcpFlags) |= (byte)tcpFlags;
    }

    /// <summary>
    /// Sends the slot's record (when it counted any packet since the last one) and starts the next from zero.
    /// </summary>
    public void End(int slot, in ConnectionKey key, bool initiatorIsA, InitiatorEvidence evidence, long handshakeRttNanoseconds, RetransmissionTotals retransmissions, RecordEnd end)
    {
        ref var state = ref _states[slot];
        if (state.Packets() == 0)
        {
            return;
        }

        // Totals since the connection opened, so the record's delta is what moved since the previous record's totals.
        var forwardRetransmissions = unchecked(retransmissions.Initiator - state.InitiatorRetransmissionsSent);
        var reverseRetransmissions = unchecked(retransmissions.Target - state.TargetRetransmissionsSent);

        var (source, sourcePort, destination, destinationPort) = initiatorIsA
            ? (key.AddressA, key.PortA, key.AddressB, key.PortB)
            : (key.AddressB, key.PortB, key.AddressA, key.PortA);
        _sink.Emit(new FlowRecord(
            key.Interface,
            key.Protocol,
            source,
            sourcePort,
            destination,
            destinationPort,
            state.Start,
            state.End,
            state.Forward.ToCounts(state.ForwardTcpFlags, forwardRetransmissions),
            state.Reverse.ToCounts(state.ReverseTcpFlags, reverseRetransmissions),
            state.VlanId,
            ReasonOf(end),
            evidence,
            handshakeRttNanoseconds));
        state = new FlowState
        {
            VlanId = state.VlanId,
            InitiatorRetransmissionsSent = retransmissions.Initiator,
            TargetRetransmissionsSent = retransmissions.Target,
        };
    }

    private static FlowEndReason ReasonOf(RecordEnd end) => end switch
    {
        RecordEnd.IdleTimeout => FlowEndReason.IdleTimeout,
        RecordEnd.ActiveTimeout => FlowEndReason.ActiveTimeout,
        RecordEnd.EndOfFlow => FlowEndReason.EndOfFlow,
        RecordEnd.LackOfResources => FlowEndReason.LackOfResources,
        _ => FlowEndReason.ForcedEnd,
    };

    [StructLayout(LayoutKind.Auto)]
    private struct DirectionState
    {
        public ulong IpOctets;
        public ulong Layer2Octets;

        // 64 bits like the IE: one report of another engine may carry any count. The flags sit in FlowState, where they
        // fill padding instead of adding 8 bytes to each direction.
        public ulong Packets;

        public readonly FlowCounts ToCounts(byte tcpFlags, uint retransmissions) => new(IpOctets, Layer2Octets, Packets, tcpFlags, retransmissions);
    }

    [StructLayout(LayoutKind.Auto)]
    private struct FlowState
    {
        /// <summary>Capture time (ns) of the first packet since the last record.</summary>
        public long Start;

        /// <summary>Capture time (ns) of the latest packet.</summary>
        public long End;
        public DirectionState Forward;
        public DirectionState Reverse;
        public ushort VlanId;
        public byte ForwardTcpFlags;
        public byte ReverseTcpFlags;

        /// <summary>The connection's retransmission totals when its previous record was sent.</summary>
        public uint InitiatorRetransmissionsSent;
        public uint TargetRetransmissionsSent;

        public readonly ulong Packets() => Forward.Packets + Reverse.Packets;
    }
}

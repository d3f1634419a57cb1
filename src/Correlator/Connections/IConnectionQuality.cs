using FlowExporter.Correlator.Decoding;

namespace FlowExporter.Correlator.Connections;

/// <summary>
/// The one seam between the connection table and connection quality. The table decides what a connection is (its key,
/// initiator, lifetime) and calls these at each step; the quality side keeps its own state per table slot (its attempts
/// waiting for an answer too), so a table fed frames or <see cref="ConnectionObservation"/>s from another engine gets
/// quality the same way. Calls come from the table's owner only; no call allocates.
/// </summary>
public interface IConnectionQuality
{
    /// <summary>The table is ready: its slots are numbered below <paramref name="tableCapacity"/>.</summary>
    void Attach(int tableCapacity);

    /// <summary>A connection opened in <paramref name="slot"/>; <paramref name="flags"/> are those of the packet(s) that opened it.</summary>
    void Opened(int slot, in ConnectionKey key, bool initiatorIsA, InitiatorEvidence evidence, bool openedByInitiator, TcpFlags flags, long now);

    /// <summary>A TCP segment of the connection (<paramref name="firstReset"/>: it carries the connection's first RST).</summary>
    void Segment(int slot, in DecodedPacket packet, bool fromInitiator, bool firstReset, int connectionSeries, long now);

    /// <summary>A UDP datagram of the connection.</summary>
    void Datagram(int slot, bool fromInitiator);

    /// <summary>
    /// Counts another engine reported for the connection: the TCP flags each side sent (a TCP connection) or whether
    /// the target answered (a UDP one), and the quality it measured itself (<paramref name="measured"/>, by side of the
    /// canonical key: handshake RTT, retransmitted and zero-window segments, ICMP unreachable quotes).
    /// <paramref name="firstResetFromInitiator"/> is null unless the observation carries the connection's first RST.
    /// </summary>
    /// <param name="connectionSeries">The connection's series, which shows the handshake RTT at the connection level.</param>
    void Observed(int slot, byte protocol, TcpFlags initiatorFlags, TcpFlags targetFlags, bool targetSent, bool? firstResetFromInitiator, bool initiatorIsA, in ObservedQuality measured, int connectionSeries);

    /// <summary>An ICMP destination unreachable quoted the initiator's packet of the connection in <paramref name="slot"/>.</summary>
    void Unreachable(int slot);

    /// <summary>The connection in <paramref name="slot"/> left the table.</summary>
    void Closed(int slot);

    /// <summary>
    /// The connection in <paramref name="slot"/> moved to another capture point (<see cref="CountAt.Node"/>): its state
    /// ends as at <see cref="Closed"/>, but its series is given back as if never opened (one nothing has shown yet and
    /// only it held leaves, with what it counted); <see cref="Opened"/> follows for the new point.
    /// </summary>
    void Withdrawn(int slot);

    /// <summary>Time moved to <paramref name="now"/> (ns): attempts unanswered for too long time out.</summary>
    void Advance(long now);

    /// <summary>The connection's handshake RTT (SYN to the completing ACK) in ns, or 0 when not measured.</summary>
    long HandshakeRtt(int slot);

    /// <summary>
    /// TCP segments of the connection that sequence analysis counted as retransmissions (tshark's
    /// <c>tcp.analysis.retransmission</c>, fast and spurious included) in one direction since it opened; 0 when not analysed.
    /// </summary>
    uint Retransmissions(int slot, bool fromInitiator);

    /// <summary>Memory held beside the table, per slot.</summary>
    long ApproximateBytes();
}

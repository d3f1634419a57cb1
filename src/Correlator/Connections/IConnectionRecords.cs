using FlowExporter.Correlator.Decoding;

namespace FlowExporter.Correlator.Connections;

/// <summary>
/// The seam between the connection table and flow records (IPFIX): the records keep their own state per table slot
/// (a side array that exists only when they are on), and the table tells them when a connection opens, counts a packet
/// and ends. Calls come from the table's owner only.
/// </summary>
public interface IConnectionRecords
{
    /// <summary>A connection opened in <paramref name="slot"/>; <paramref name="vlanId"/> is its opening packet's VLAN.</summary>
    void Opened(int slot, ushort vlanId);

    /// <summary>True when the slot's current record has lasted the active timeout: the table ends it before counting more.</summary>
    bool IsDue(int slot, long now);

    /// <summary>One packet of the connection: its wire and IP lengths and TCP flags.</summary>
    void Count(int slot, bool fromInitiator, uint wireLength, int ipLength, TcpFlags tcpFlags, long now);

    /// <summary>
    /// Several packets of one direction at once (another engine's report): their wire bytes, IP octets and the union
    /// of their TCP flags, sent from <paramref name="first"/> to <paramref name="last"/>.
    /// </summary>
    void CountMany(int slot, bool fromInitiator, ulong wireBytes, ulong ipOctets, ulong packets, TcpFlags tcpFlags, long first, long last);

    /// <summary>
    /// Ends the slot's current record (sent when it counted anything) and starts the next from zero.
    /// <paramref name="retransmissions"/> are the connection's totals since it opened (the record carries the delta).
    /// </summary>
    void End(int slot, in ConnectionKey key, bool initiatorIsA, InitiatorEvidence evidence, long handshakeRttNanoseconds, RetransmissionTotals retransmissions, RecordEnd end);

    /// <summary>Memory held beside the table.</summary>
    long ApproximateBytes();
}

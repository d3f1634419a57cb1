using FlowExporter.Correlator.CapturePoints;

namespace FlowExporter.Correlator.Netlink;

/// <summary>One rtnetlink message the capture-point watcher understands.</summary>
public abstract record RtnetlinkMessage
{
    /// <summary>RTM_NEWLINK (added or changed) or RTM_DELLINK.</summary>
    public sealed record Link(bool Deleted, LinkInfo Info) : RtnetlinkMessage;

    /// <summary>
    /// RTM_NEWROUTE or RTM_DELROUTE, with the interface(s) the route leaves through (several for a multipath route).
    /// <see cref="Replaces"/>: an RTM_NEWROUTE with NLM_F_REPLACE (<c>ip route replace</c>), which took the place of the
    /// route of the same family, destination, table and priority without an RTM_DELROUTE for it.
    /// </summary>
    public sealed record Route(bool Deleted, byte Family, byte DestinationLength, uint Table, byte Type, uint Priority, IReadOnlyList<int> OutputInterfaces, bool Replaces = false)
        : RtnetlinkMessage
    {
        /// <summary>A default route of the main table: what <c>uplinks</c> follows.</summary>
        public bool IsDefault => DestinationLength == 0 && Table == Rtnetlink.RouteTableMain && Type == Rtnetlink.RtnUnicast;
    }

    /// <summary>NLMSG_DONE: the end of a dump.</summary>
    public sealed record Done(uint Sequence) : RtnetlinkMessage;

    /// <summary>NLMSG_ERROR: <see cref="Errno"/> is positive (0 is an acknowledgement).</summary>
    public sealed record Error(uint Sequence, int Errno) : RtnetlinkMessage;
}

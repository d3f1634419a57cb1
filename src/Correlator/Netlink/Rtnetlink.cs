namespace FlowExporter.Correlator.Netlink;

/// <summary>The rtnetlink constants the capture-point watcher uses (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h).</summary>
public static class Rtnetlink
{
    public const int HeaderLength = 16;
    public const int InterfaceInfoLength = 16;
    public const int RouteMessageLength = 12;

    public const ushort NlmsgNoop = 1;
    public const ushort NlmsgError = 2;
    public const ushort NlmsgDone = 3;
    public const ushort NlmsgOverrun = 4;
    public const ushort NewLink = 16;
    public const ushort DelLink = 17;
    public const ushort GetLink = 18;
    public const ushort NewRoute = 24;
    public const ushort DelRoute = 25;
    public const ushort GetRoute = 26;

    public const ushort FlagRequest = 0x1;
    public const ushort FlagDump = 0x300;

    /// <summary>NLM_F_REPLACE: on an RTM_NEWROUTE notification, the route replaced the one with its key (no RTM_DELROUTE is sent for that one).</summary>
    public const ushort FlagReplace = 0x100;

    public const ushort IflaIfname = 3;
    public const ushort IflaOperstate = 16;
    public const ushort IflaLinkinfo = 18;
    public const ushort IflaInfoKind = 1;

    public const ushort RtaDst = 1;
    public const ushort RtaOif = 4;
    public const ushort RtaPriority = 6;
    public const ushort RtaMultipath = 9;
    public const ushort RtaTable = 15;

    public const byte RtnUnicast = 1;
    public const uint RouteTableMain = 254;

    public const uint IffUp = 0x1;

    public const byte AfInet = 2;
    public const byte AfInet6 = 10;

    /// <summary>Multicast groups (RTNLGRP_*), joined with NETLINK_ADD_MEMBERSHIP.</summary>
    public const int GroupLink = 1;
    public const int GroupIpv4Route = 7;
    public const int GroupIpv6Route = 11;

    public static int Align(int length) => (length + 3) & ~3;
}

namespace FlowExporter.Correlator.CaptureFiles;

public enum CaptureFileFormat
{
    Pcap,
    PcapNanosecond,
    PcapNg,
}

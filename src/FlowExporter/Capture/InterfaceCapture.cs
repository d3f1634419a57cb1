using System.Runtime.InteropServices;
using FlowExporter.Configuration;
using FlowExporter.Correlator.Capture;
using FlowExporter.Correlator.CaptureFiles;
using SharpPcap;
using SharpPcap.LibPcap;

namespace FlowExporter.Capture;

/// <summary>
/// Captures one live interface: SharpPcap finds, opens and filters the device; the loop waits on the descriptor with
/// <c>poll</c> outside any lock, then drains up to a batch of frames with a non-blocking <c>pcap_dispatch</c> inside one
/// batch of its <see cref="CaptureSink"/>. When the interface goes away the device is closed and re-opened with backoff; kernel drop counters are
/// kept cumulative across re-opens.
/// </summary>
internal sealed unsafe class InterfaceCapture : IDisposable
{
    private const int Batch = 1024;
    private readonly CaptureSink _sink;
    private readonly CaptureOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private GCHandle _self;
    private long _droppedBase;
    private long _interfaceDroppedBase;
    private long _receivedBase;
    private uint _lastDropped;
    private uint _lastInterfaceDropped;
    private uint _lastReceived;

    public InterfaceCapture(CaptureSink sink, CaptureOptions options, TimeProvider time, ILogger logger)
    {
        _sink = sink;
        _options = options;
        _time = time;
        _logger = logger;
        _self = GCHandle.Alloc(this);
    }

    public string Name => _sink.Name;

    /// <summary>True while the device is open and capturing.</summary>
    public bool IsOpen { get; private set; }

    /// <summary>True once the device was opened at least once.</summary>
    public bool WasOpened { get; private set; }

    public string? LastError { get; private set; }

    public long KernelDropped => Volatile.Read(ref _droppedBase) + Volatile.Read(ref _lastDropped);

    public long InterfaceDropped => Volatile.Read(ref _interfaceDroppedBase) + Volatile.Read(ref _lastInterfaceDropped);

    public long KernelReceived => Volatile.Read(ref _receivedBase) + Volatile.Read(ref _lastReceived);

    /// <summary>Runs until cancelled, re-opening the device after failures.</summary>
    public void Run(CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(250);
        var missingCapabilityReported = false;
        ThreadCapabilities.RaisePermitted();
        while (!cancellationToken.IsCancellationRequested)
        {
            LibPcapLiveDevice? device = null;
            try
            {
                device = Open();
                LinkType = (int)device.LinkType;
                IsOpen = true;
                WasOpened = true;
                LastError = null;
                backoff = TimeSpan.FromMilliseconds(250);
                _logger.LogInformation("capture: {Interface} open (snaplen {SnapLength}, filter '{Filter}')", Name, _options.SnapLength, _options.Bpf);
                Loop(device, cancellationToken);
            }
            catch (PcapException ex) when (!ThreadCapabilities.IsEffective(ThreadCapabilities.NetRaw))
            {
                // A capability cannot appear later: say once, in one line, what is missing; retries stay quiet.
                LastError = $"missing capability CAP_NET_RAW ({ex.Message})";
                if (!missingCapabilityReported)
                {
                    missingCapabilityReported = true;
                    _logger.LogError(
                        "capture: {Interface}: cannot capture: the process lacks the CAP_NET_RAW capability (grant NET_RAW: securityContext.capabilities.add in Kubernetes, --cap-add=NET_RAW in podman/docker); libpcap: {Problem}",
                        _name,
                        ex.Message);
                }
                else
                {
                    _logger.LogDebug("capture: {Interface}: still no CAP_NET_RAW; retrying in {Seconds:0.##}s", _name, backoff.TotalSeconds);
                }
            }
            catch (Exception ex) when (ex is PcapException or InvalidOperationException or DllNotFoundException or CaptureLoopException)
            {
                LastError = ex.Message;
                _logger.LogWarning("capture: {Interface}: {Problem}; retrying in {Seconds:0.##}s", Name, ex.Message, backoff.TotalSeconds);
            }
            finally
            {
                IsOpen = false;
                if (device is not null)
                {
                    FoldCounters();
                    CloseQuietly(device);
                }
            }

            if (cancellationToken.IsCancellationRequested)
            {
                break;
            }

            cancellationToken.WaitHandle.WaitOne(backoff);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
        }
    }

    public void Dispose()
    {
        if (_self.IsAllocated)
        {
            _self.Free();
        }
    }

    private LibPcapLiveDevice Open()
    {
        var device = LibPcapLiveDeviceList.New().FirstOrDefault(d => d.Name == Name)
            ?? throw new InvalidOperationException($"no such interface '{Name}'");
        var configuration = new DeviceConfiguration
        {
            Snaplen = _options.SnapLength,
            Mode = _options.Promiscuous ? DeviceModes.Promiscuous : DeviceModes.None,
            Immediate = true,
            BufferSize = _options.BufferBytes,
            ReadTimeout = 100,
        };
        device.Open(configuration);
        if (_options.Bpf.Length > 0)
        {
            device.Filter = _options.Bpf;
        }

        return device;
    }

    private void Loop(LibPcapLiveDevice device, CancellationToken cancellationToken)
    {
        var handle = device.Handle;
        var gotReference = false;
        handle.DangerousAddRef(ref gotReference);
        try
        {
            var pcap = handle.DangerousGetHandle();
            var errorBuffer = stackalloc byte[256];
            if (LibPcapNative.SetNonBlocking(pcap, 1, errorBuffer) < 0)
            {
                throw new CaptureLoopException($"cannot make {Name} non-blocking: {LibPcapNative.ErrorText(pcap)}");
            }

            var descriptor = new LibPcapNative.PollDescriptor { Descriptor = LibPcapNative.SelectableDescriptor(pcap), Events = LibPcapNative.PollIn };
            var nextStatistics = _time.GetTimestamp();
            while (!cancellationToken.IsCancellationRequested)
            {
                descriptor.ReturnedEvents = 0;
                LibPcapNative.Poll(&descriptor, 1, 200);
                var count = _sink.Batch((Pcap: pcap, Self: GCHandle.ToIntPtr(_self)), static state => LibPcapNative.Dispatch(state.Pcap, Batch, &OnFrame, state.Self));

                if (count < 0)
                {
                    throw new CaptureLoopException(count == -2 ? "capture stopped" : LibPcapNative.ErrorText(pcap));
                }

                if (_time.GetElapsedTime(nextStatistics) >= TimeSpan.FromSeconds(1))
                {
                    ReadStatistics(pcap);
                    nextStatistics = _time.GetTimestamp();
                }
            }

            ReadStatistics(pcap);
        }
        finally
        {
            if (gotReference)
            {
                handle.DangerousRelease();
            }
        }
    }

    [UnmanagedCallersOnly]
    private static void OnFrame(nint user, LibPcapNative.PacketHeader* header, byte* data)
    {
        if (GCHandle.FromIntPtr(user).Target is not InterfaceCapture self)
        {
            return;
        }

        try
        {
            var nanoseconds = ((long)header->Seconds * 1_000_000_000L) + ((long)header->Microseconds * 1_000L);
            var frame = new CapturedFrame(self._sink.Id, self.LinkType, nanoseconds, (int)header->Length, new ReadOnlySpan<byte>(data, (int)header->CaptureLength));
            self._sink.Accept(frame);
        }
        catch (Exception ex)
        {
            // Nothing may unwind through libpcap; the pipeline does not throw for frame content, so this is a bug.
            self._logger.LogError(ex, "capture: {Interface}: frame processing failed", self.Name);
        }
    }

    private int LinkType { get; set; }

    private void ReadStatistics(nint pcap)
    {
        LibPcapNative.Statistics statistics;
        if (LibPcapNative.GetStatistics(pcap, &statistics) == 0)
        {
            Volatile.Write(ref _lastReceived, statistics.Received);
            Volatile.Write(ref _lastDropped, statistics.Dropped);
            Volatile.Write(ref _lastInterfaceDropped, statistics.InterfaceDropped);
        }
    }

    private void FoldCounters()
    {
        Interlocked.Add(ref _receivedBase, _lastReceived);
        Interlocked.Add(ref _droppedBase, _lastDropped);
        Interlocked.Add(ref _interfaceDroppedBase, _lastInterfaceDropped);
        Volatile.Write(ref _lastReceived, 0u);
        Volatile.Write(ref _lastDropped, 0u);
        Volatile.Write(ref _lastInterfaceDropped, 0u);
    }

    private void CloseQuietly(LibPcapLiveDevice device)
    {
        try
        {
            device.Close();
        }
        catch (PcapException ex)
        {
            _logger.LogDebug("capture: {Interface}: close: {Problem}", Name, ex.Message);
        }
    }

    private sealed class CaptureLoopException(string message) : Exception(message);
}

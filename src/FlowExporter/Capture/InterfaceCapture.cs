using System.Runtime.InteropServices;
using FlowExporter.Capture.Points;
using FlowExporter.Configuration;
using FlowExporter.Correlator.Capture;
using FlowExporter.Correlator.CaptureFiles;
using FlowExporter.Sources;
using SharpPcap;
using SharpPcap.LibPcap;

namespace FlowExporter.Capture;

/// <summary>
/// Captures one live interface: SharpPcap finds, opens and filters the device; the loop waits on the descriptor with
/// <c>poll</c> outside any lock, then drains up to a batch of frames with a non-blocking <c>pcap_dispatch</c> inside one
/// batch of its <see cref="CaptureSink"/>. When the interface goes away the device is closed and re-opened with the
/// shared <see cref="Backoff"/> (logged when it goes away and when it is back, and at most every ten minutes in
/// between); kernel drop counters are kept cumulative across re-opens. A failure because the link itself is gone (no
/// link of that name and index any more) ends the loop quietly: the capture point manager closes the point on the
/// rtnetlink deletion, and a gone link is never retried.
/// </summary>
internal sealed unsafe partial class InterfaceCapture : IDisposable
{
    private const int Batch = 1024;
    private readonly CaptureSink _sink;
    private readonly CaptureOptions _options;
    private readonly int _bufferBytes;
    private readonly int _index;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RateLimitedLog _stillFailing;
    private readonly Backoff _backoff = new(TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));
    private GCHandle _self;
    private long _droppedBase;
    private long _interfaceDroppedBase;
    private long _receivedBase;
    private uint _lastDropped;
    private uint _lastInterfaceDropped;
    private uint _lastReceived;

    /// <param name="bufferBytes">The kernel ring libpcap asks for (the capture point's size by role).</param>
    /// <param name="index">The link's ifindex when the point was planned: a failure while no link of this name has it
    /// any more means the link is gone.</param>
    public InterfaceCapture(CaptureSink sink, CaptureOptions options, int bufferBytes, int index, TimeProvider time, ILogger logger)
    {
        _sink = sink;
        _options = options;
        _bufferBytes = bufferBytes;
        _index = index;
        _time = time;
        _logger = logger;
        _stillFailing = new RateLimitedLog(logger, time, TimeSpan.FromMinutes(10));
        _self = GCHandle.Alloc(this);
    }

    public string Name => _sink.Name;

    /// <summary>True while the device is open and capturing.</summary>
    public bool IsOpen { get; private set; }

    /// <summary>True once the device was opened at least once.</summary>
    public bool WasOpened { get; private set; }

    public string? LastError { get; private set; }

    /// <summary>A label-safe reason for the last failure: <c>interface_missing</c>, <c>open_failed</c> or <c>capture_failed</c>.</summary>
    public string? LastReason { get; private set; }

    public long KernelDropped => Volatile.Read(ref _droppedBase) + Volatile.Read(ref _lastDropped);

    public long InterfaceDropped => Volatile.Read(ref _interfaceDroppedBase) + Volatile.Read(ref _lastInterfaceDropped);

    public long KernelReceived => Volatile.Read(ref _receivedBase) + Volatile.Read(ref _lastReceived);

    /// <summary>Runs until cancelled, re-opening the device after failures.</summary>
    public void Run(CancellationToken cancellationToken)
    {
        var missingCapabilityReported = false;
        ThreadCapabilities.RaisePermitted();
        while (!cancellationToken.IsCancellationRequested)
        {
            LibPcapLiveDevice? device = null;
            Exception? failure = null;
            var failedWhileOpen = false;
            try
            {
                device = Open();
                LinkType = (int)device.LinkType;
                IsOpen = true;
                WasOpened = true;
                if (LastReason is not null)
                {
                    LogBack(_logger, Name, _backoff.Attempt);
                }

                LastError = null;
                LastReason = null;
                _backoff.Reset();
                LogOpen(_logger, Name, _options.SnapLength, _options.Bpf);
                Loop(device, cancellationToken);
            }
            catch (PcapException ex) when (!ThreadCapabilities.IsEffective(ThreadCapabilities.NetRaw))
            {
                // A capability cannot appear later: say once, in one line, what is missing; retries stay quiet.
                LastError = $"missing capability CAP_NET_RAW ({ex.Message})";
                LastReason = "missing_capability";
                if (!missingCapabilityReported)
                {
                    missingCapabilityReported = true;
                    LogMissingCapability(_logger, Name, ex.Message);
                }
                else
                {
                    LogStillNoCapability(_logger, Name);
                }
            }
            catch (Exception ex) when (ex is PcapException or InvalidOperationException or DllNotFoundException or CaptureLoopException)
            {
                failure = ex;
                failedWhileOpen = device is not null;
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

            if (cancellationToken.IsCancellationRequested || !_backoff.Wait(cancellationToken))
            {
                break;
            }

            // Judged after the first wait: a link being deleted fails the loop (ENETDOWN) while its name still exists,
            // and the capture point manager usually closes the point on the rtnetlink event within that wait.
            if (failure is not null)
            {
                if (IsGone())
                {
                    LastError = failure.Message;
                    LastReason = "interface_missing";
                    LogGone(_logger, Name, failure.Message);
                    break;
                }

                Failed(failure, failedWhileOpen);
            }
        }
    }

    private void Failed(Exception exception, bool wasOpen)
    {
        var reason = exception switch
        {
            NoSuchInterfaceException => "interface_missing",
            CaptureLoopException => "capture_failed",
            _ when wasOpen => "capture_failed",
            _ => "open_failed",
        };
        var first = reason != LastReason;
        LastError = exception.Message;
        LastReason = reason;
        if (first)
        {
            LogFailed(_logger, Name, exception.Message);
        }
        else
        {
            _stillFailing.Warn(reason, $"capture: {Name}: still failing after {_backoff.Attempt + 1} attempts: {exception.Message}");
        }
    }

    private bool IsGone() => NetlinkNative.IfNameToIndex(Name) != (uint)_index;

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
            ?? throw new NoSuchInterfaceException($"no such interface '{Name}'");
        var configuration = new DeviceConfiguration
        {
            Snaplen = _options.SnapLength,
            Mode = _options.Promiscuous ? DeviceModes.Promiscuous : DeviceModes.None,
            Immediate = true,
            BufferSize = _bufferBytes,
            ReadTimeout = 100,

            // Counted once per node, a connection belongs to the point that captured it first: the same packet reaches
            // two points of the node microseconds apart, which microsecond timestamps would often make a tie.
            TimestampResolution = TimestampResolution.Nanosecond,
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

            FractionToNanoseconds = LibPcapNative.TimestampPrecision(pcap) == LibPcapNative.NanosecondPrecision ? 1 : 1_000;
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
            var nanoseconds = ((long)header->Seconds * 1_000_000_000L) + ((long)header->Microseconds * self.FractionToNanoseconds);
            var frame = new CapturedFrame(self._sink.Id, self.LinkType, nanoseconds, (int)header->Length, new ReadOnlySpan<byte>(data, (int)header->CaptureLength));
            self._sink.Accept(frame);
        }
        catch (Exception ex)
        {
            // Nothing may unwind through libpcap; the pipeline does not throw for frame content, so this is a bug.
            LogFrameFailed(self._logger, ex, self.Name);
        }
    }

    private int LinkType { get; set; }

    /// <summary>What a header's fraction of a second is worth in nanoseconds: 1 on a nanosecond handle, else 1000.</summary>
    private long FractionToNanoseconds { get; set; } = 1_000;

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
            LogCloseFailed(_logger, Name, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "capture: {Interface} open (snaplen {SnapLength}, filter '{Filter}')")]
    private static partial void LogOpen(ILogger logger, string @interface, int snapLength, string filter);

    [LoggerMessage(Level = LogLevel.Debug, Message = "capture: {Interface}: the link is gone ({Problem}); the point is closed, not retried")]
    private static partial void LogGone(ILogger logger, string @interface, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "capture: {Interface} is back after {Attempts} retries")]
    private static partial void LogBack(ILogger logger, string @interface, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "capture: {Interface}: {Problem}; retrying with backoff (up to 10s)")]
    private static partial void LogFailed(ILogger logger, string @interface, string problem);

    [LoggerMessage(
        Level = LogLevel.Error,
        Message = "capture: {Interface}: cannot capture: the process lacks the CAP_NET_RAW capability (grant NET_RAW: securityContext.capabilities.add in Kubernetes, --cap-add=NET_RAW in podman/docker); libpcap: {Problem}")]
    private static partial void LogMissingCapability(ILogger logger, string @interface, string problem);

    [LoggerMessage(Level = LogLevel.Debug, Message = "capture: {Interface}: still no CAP_NET_RAW; retrying with backoff")]
    private static partial void LogStillNoCapability(ILogger logger, string @interface);

    [LoggerMessage(Level = LogLevel.Error, Message = "capture: {Interface}: frame processing failed")]
    private static partial void LogFrameFailed(ILogger logger, Exception exception, string @interface);

    [LoggerMessage(Level = LogLevel.Debug, Message = "capture: {Interface}: close: {Problem}")]
    private static partial void LogCloseFailed(ILogger logger, string @interface, string problem);

    private sealed class CaptureLoopException(string message) : Exception(message);

    private sealed class NoSuchInterfaceException(string message) : InvalidOperationException(message);
}

using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Net;

namespace FlowExporter.Capture.Ebpf;

/// <summary>
/// Reads what the program counted, without losing a packet between reads: it flips the generation the program writes,
/// waits until no program run that read the old generation is still going (per-CPU entered and finished run counts),
/// then drains the old generation's map whole with lookup-and-delete batches. Every sample is therefore the exact
/// delta of one interval. One owner calls it (not thread-safe); buffers are allocated once.
/// </summary>
public sealed unsafe class EbpfSweeper
{
    private const int BatchEntries = 1024;
    private static readonly TimeSpan SettleLimit = TimeSpan.FromSeconds(1);

    private readonly EbpfProgram _program;
    private readonly TimeProvider _time;
    private readonly int _cpus;
    private readonly EbpfMapLayout.FlowKey[] _keys = GC.AllocateArray<EbpfMapLayout.FlowKey>(BatchEntries, pinned: true);
    private readonly EbpfMapLayout.FlowValue[] _values = GC.AllocateArray<EbpfMapLayout.FlowValue>(BatchEntries, pinned: true);
    private readonly ulong[] _entered;
    private readonly ulong[] _finished;
    private readonly ulong[] _perCpu;
    private uint _active;

    public EbpfSweeper(EbpfProgram program, TimeProvider time)
    {
        _program = program;
        _time = time;
        _cpus = LibbpfNative.PossibleCpus();
        if (_cpus <= 0)
        {
            throw new EbpfException(EbpfFailureKind.Other, -_cpus, "libbpf could not count the possible CPUs");
        }

        _entered = GC.AllocateArray<ulong>(_cpus, pinned: true);
        _finished = GC.AllocateArray<ulong>(_cpus, pinned: true);
        _perCpu = GC.AllocateArray<ulong>(_cpus, pinned: true);
    }

    /// <summary>
    /// Appends every connection counted since the previous sweep to <paramref name="samples"/> (at most the map's
    /// entries) and returns how many.
    /// </summary>
    public int Sweep(List<EbpfConnectionSample> samples, CancellationToken cancellationToken)
    {
        ThreadCapabilities.RaisePermitted();
        var old = _active;
        var next = old ^ 1;
        var key = 0u;
        Check(LibbpfNative.MapUpdate(_program.GenerationFd, &key, &next, LibbpfNative.UpdateAny), "flipping the generation");
        _active = next;
        WaitForOldGeneration(cancellationToken);
        return Drain(_program.FlowsFds[old], samples);
    }

    public EbpfKernelCounters ReadCounters()
    {
        ThreadCapabilities.RaisePermitted();
        Span<ulong> totals = stackalloc ulong[EbpfMapLayout.CounterCount];
        for (var index = 0u; index < EbpfMapLayout.CounterCount; index++)
        {
            totals[(int)index] = SumPerCpu(_program.CountersFd, index);
        }

        return new EbpfKernelCounters(totals[0], totals[1], totals[2], totals[3], totals[4], totals[5]);
    }

    /// <summary>Converts a sample's CLOCK_MONOTONIC time to nanoseconds since the Unix epoch by the time provider's clock.</summary>
    public long ToUnixNanoseconds(long monotonicNanoseconds)
    {
        var nowMonotonic = (long)(_time.GetTimestamp() * (1_000_000_000.0 / _time.TimestampFrequency));
        var nowUnix = (_time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100;
        return monotonicNanoseconds - nowMonotonic + nowUnix;
    }

    private void WaitForOldGeneration(CancellationToken cancellationToken)
    {
        // A run that read the old generation had already counted its entry (an atomic add, a full barrier, before the
        // read), so it is in this snapshot; wait until each CPU has finished as many runs as had entered.
        ReadPerCpu(_program.RunsFd, 0, _entered);
        var started = _time.GetTimestamp();
        var spin = default(SpinWait);
        while (true)
        {
            ReadPerCpu(_program.RunsFd, 1, _finished);
            var settled = true;
            for (var cpu = 0; cpu < _cpus; cpu++)
            {
                settled &= _finished[cpu] >= _entered[cpu];
            }

            if (settled)
            {
                return;
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (_time.GetElapsedTime(started) > SettleLimit)
            {
                throw new EbpfException(EbpfFailureKind.Other, 0, $"program runs on the old generation did not finish within {SettleLimit.TotalSeconds} s");
            }

            spin.SpinOnce();
        }
    }

    private int Drain(int mapFd, List<EbpfConnectionSample> samples)
    {
        var added = 0;
        ulong inBatch = 0, outBatch = 0;
        var first = true;
        fixed (EbpfMapLayout.FlowKey* keys = _keys)
        fixed (EbpfMapLayout.FlowValue* values = _values)
        {
            while (true)
            {
                var count = (uint)BatchEntries;
                var result = LibbpfNative.MapLookupAndDeleteBatch(mapFd, first ? null : &inBatch, &outBatch, keys, values, &count, 0);
                if (result < 0 && result != -LinuxErrno.Enoent)
                {
                    Check(result, "draining the old generation's map");
                }

                for (var i = 0; i < count; i++)
                {
                    samples.Add(ToSample(keys[i], values[i]));
                }

                added += (int)count;
                if (result == -LinuxErrno.Enoent)
                {
                    return added;
                }

                inBatch = outBatch;
                first = false;
            }
        }
    }

    private static EbpfConnectionSample ToSample(in EbpfMapLayout.FlowKey key, in EbpfMapLayout.FlowValue value)
    {
        fixed (byte* a = key.AddressA)
        fixed (byte* b = key.AddressB)
        {
            return new EbpfConnectionSample(
                (int)key.InterfaceIndex,
                key.Protocol,
                IpAddress.FromV6(new ReadOnlySpan<byte>(a, 16)),
                key.PortA,
                IpAddress.FromV6(new ReadOnlySpan<byte>(b, 16)),
                key.PortB,
                value.BytesFromA,
                value.BytesFromB,
                value.PacketsFromA,
                value.PacketsFromB,
                (long)value.FirstNanoseconds,
                (long)value.LastNanoseconds,
                (long)value.SynNanoseconds,
                (long)value.SynAckNanoseconds,
                (TcpFlags)value.TcpFlagsFromA,
                (TcpFlags)value.TcpFlagsFromB,
                value.FirstFromB != 0,
                (TcpFlags)value.FirstTcpFlags,
                (HandshakeEvidence)value.Evidence)
            {
                IpBytesFromA = value.IpBytesFromA,
                IpBytesFromB = value.IpBytesFromB,
                VlanId = value.VlanId,
                Quality = new ObservedQuality(
                    (value.Handshake & EbpfMapLayout.HandshakeMeasured) != 0 ? (long)value.HandshakeRttNanoseconds : 0,
                    (value.Handshake & EbpfMapLayout.HandshakeAckFromB) != 0,
                    (value.Handshake & EbpfMapLayout.HandshakeAckReset) != 0,
                    value.RetransmissionsFromA,
                    value.RetransmissionsFromB,
                    value.ZeroWindowsFromA,
                    value.ZeroWindowsFromB,
                    (value.Unreachable & EbpfMapLayout.UnreachableQuotedFromA) != 0,
                    (value.Unreachable & EbpfMapLayout.UnreachableQuotedFromB) != 0),
            };
        }
    }

    private ulong SumPerCpu(int fd, uint index)
    {
        ReadPerCpu(fd, index, _perCpu);
        var total = 0UL;
        foreach (var value in _perCpu)
        {
            total += value;
        }

        return total;
    }

    private static void ReadPerCpu(int fd, uint index, ulong[] into)
    {
        fixed (ulong* values = into)
        {
            Check(LibbpfNative.MapLookup(fd, &index, values), "reading a per-CPU counter");
        }
    }

    private static void Check(int result, string operation)
    {
        if (result < 0)
        {
            throw new EbpfException(result == -LinuxErrno.Eperm ? EbpfFailureKind.MissingCapability : EbpfFailureKind.Other, -result, $"{operation} failed: {LinuxErrno.Describe(-result)}");
        }
    }
}

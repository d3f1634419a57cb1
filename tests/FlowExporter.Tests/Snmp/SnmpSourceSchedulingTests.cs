using FlowExporter.Correlator.Snmp;
using FlowExporter.Correlator.Snmp.IfMib;
using FlowExporter.Snmp;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace FlowExporter.Tests.Snmp;

public sealed class SnmpSourceSchedulingTests
{
    private static SnmpTargetOptions Target(string name, int port = 161) => new()
    {
        Name = name,
        Host = "127.0.0.1",
        Port = port,
        Community = new SnmpSecret("c"),
        Interval = TimeSpan.FromSeconds(15),
    };

    [Fact]
    public async Task No_more_targets_are_polled_at_once_than_configured()
    {
        var gate = new GateTransport();
        var targets = Enumerable.Range(0, 6).Select(i => Target($"t{i}")).ToList();
        using var source = new SnmpSource(new SnmpOptions(targets, [], 2), TimeProvider.System, NullLogger<SnmpSource>.Instance, null, _ => gate);
        var polls = source.Targets.Select(t => source.PollOnceAsync(t, CancellationToken.None)).ToArray();
        await gate.WaitForInFlightAsync(2);
        Assert.Equal(2, gate.InFlight);
        gate.Release.TrySetResult();
        var results = await Task.WhenAll(polls).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(results, Assert.False);
        Assert.Equal(2, gate.MaxInFlight);
        Assert.Equal(6, gate.Started);
    }

    [Fact]
    public async Task The_background_loop_polls_again_after_each_interval()
    {
        await using var agent = new UdpTestAgent();
        agent.Mib[IfMibOids.IfOperStatus.Append(1)] = SnmpValue.Integer(1);
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20000));
        using var source = new SnmpSource(new SnmpOptions([Target("sw", agent.Port)], [], 1), time, NullLogger<SnmpSource>.Instance);
        await source.StartAsync(CancellationToken.None);
        try
        {
            await WaitUntilAsync(() => source.Targets[0].Status.Up);
            var first = Volatile.Read(ref agent.Requests);
            Assert.True(first > 0);
            await Task.Delay(200); // no time passes on the fake clock: no second poll
            Assert.Equal(first, Volatile.Read(ref agent.Requests));
            time.Advance(TimeSpan.FromSeconds(15));
            await WaitUntilAsync(() => Volatile.Read(ref agent.Requests) > first);
        }
        finally
        {
            await source.StopAsync(CancellationToken.None);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 20 s");
            await Task.Delay(20);
        }
    }

    /// <summary>Holds every request until released, then fails it; records how many were in flight at once.</summary>
    private sealed class GateTransport : ISnmpTransport
    {
        private int _inFlight;
        private int _max;
        private int _started;

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int InFlight => Volatile.Read(ref _inFlight);

        public int MaxInFlight => Volatile.Read(ref _max);

        public int Started => Volatile.Read(ref _started);

        public async Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> request, Func<ReadOnlyMemory<byte>, bool> isAnswer, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _started);
            var now = Interlocked.Increment(ref _inFlight);
            int seen;
            while (now > (seen = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, now, seen) != seen)
            {
            }

            try
            {
                await Release.Task.WaitAsync(cancellationToken);
                throw new SnmpRequestException(SnmpFailure.Timeout, "released");
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        public async Task WaitForInFlightAsync(int count)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (InFlight < count)
            {
                Assert.True(DateTime.UtcNow < deadline, $"only {InFlight} requests in flight");
                await Task.Delay(10);
            }
        }
    }
}

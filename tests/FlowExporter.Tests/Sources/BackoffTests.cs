using FlowExporter.Sources;

namespace FlowExporter.Tests.Sources;

public sealed class BackoffTests
{
    [Fact]
    public void Doubles_up_to_the_cap_with_equal_jitter_and_resets()
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), new Random(42));
        double[] ceilings = [1, 2, 4, 8, 16, 32, 60, 60, 60];
        foreach (var ceiling in ceilings)
        {
            Assert.InRange(backoff.Next().TotalSeconds, ceiling / 2, ceiling);
        }

        backoff.Reset();
        Assert.InRange(backoff.Next().TotalSeconds, 0.5, 1);
    }

    [Fact]
    public void Spreads_delays_between_clients()
    {
        var delays = Enumerable.Range(0, 50)
            .Select(seed => new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), new Random(seed)))
            .Select(b => b.Next().TotalMilliseconds)
            .ToList();
        Assert.True(delays.Distinct().Count() > 40);
    }

    [Fact]
    public async Task Waits_on_the_given_clock_and_reports_cancellation_instead_of_throwing()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var backoff = new Backoff(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10), new Random(1));
        var waiting = backoff.WaitAsync(time, CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(10)); // the first delay is at most the ceiling
        Assert.True(await waiting);
        Assert.Equal(1, backoff.Attempt);

        using var stop = new CancellationTokenSource();
        var cancelled = backoff.WaitAsync(time, stop.Token);
        await stop.CancelAsync();
        Assert.False(await cancelled);
    }
}

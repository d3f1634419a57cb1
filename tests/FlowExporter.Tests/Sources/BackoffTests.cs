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
}

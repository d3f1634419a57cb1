using System.Diagnostics;
using FlowExporter.Capture.Points;
using FlowExporter.Correlator.CapturePoints;
using FlowExporter.Correlator.Netlink;
using FlowExporter.TestSupport.CapturePoints;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlowExporter.LabTests.CapturePoints;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CapturePointsLabCollection
{
    /// <summary>Alone, because the churn test counts the process's open descriptors.</summary>
    public const string Name = "capture points (counts descriptors)";
}

/// <summary>
/// The rtnetlink watcher and the capture-point manager against the real kernel, in a network namespace of the test's
/// own: link events within 2 s, the namespace's default-route interface, and churn without leaks or lost events.
/// </summary>
[Trait("Category", "Lab")]
[Collection(CapturePointsLabCollection.Name)]
public sealed class RtnetlinkWatcherLabTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Sees_veths_created_renamed_moved_and_deleted_within_two_seconds_and_finds_the_uplink()
    {
        await using var lab = await NetlinkLab.CreateAsync();
        await using var watch = Watch.Start(lab.Watched);
        var initial = await watch.NextAsync(Within);
        Assert.Contains(initial.Links.Values, l => l.Name == "lo");
        Assert.Empty(initial.Uplinks);

        await lab.Ip("link", "add", "up0", "type", "veth", "peer", "name", "up0p");
        await lab.Ip("link", "set", "up0p", "up");
        await lab.Ip("link", "set", "up0", "up");
        await lab.Ip("addr", "add", "192.0.2.2/24", "dev", "up0");
        await lab.Ip("route", "add", "default", "via", "192.0.2.1", "dev", "up0");
        var upIndex = (await watch.UntilAsync(u => u.Uplinks.Count > 0, Within)).Uplinks.Single();
        Assert.Equal("up0", watch.Latest!.Links[upIndex].Name);

        await lab.Ip("link", "add", "vtA", "type", "veth", "peer", "name", "vtB");
        await watch.UntilAsync(_ => watch.Saw("+vtA") && watch.Saw("+vtB"), Within);

        await lab.Ip("link", "set", "vtB", "name", "vtC");
        await watch.UntilAsync(_ => watch.Saw("-vtB") && watch.Saw("+vtC"), Within);
        var renamed = watch.Latest!.Links.Values.Single(l => l.Name == "vtC");

        await lab.Ip("link", "set", "vtA", "up");
        await lab.Ip("link", "set", "vtC", "up");
        await watch.UntilAsync(u => u.Links.Values.Single(l => l.Name == "vtA").IsUsable, Within);

        await lab.Ip("link", "set", "vtC", "netns", lab.Elsewhere);
        await watch.UntilAsync(u => !u.Links.ContainsKey(renamed.Index) && watch.Saw("-vtC"), Within);

        await lab.Ip("link", "del", "vtA");
        await watch.UntilAsync(u => watch.Saw("-vtA") && !u.Links.Values.Any(l => l.Name == "vtA"), Within);

        await lab.Ip("route", "del", "default");
        await watch.UntilAsync(u => u.Uplinks.Count == 0, Within);

        await lab.Ip("-6", "addr", "add", "2001:db8::2/64", "dev", "up0", "nodad");
        await lab.Ip("-6", "route", "add", "default", "via", "2001:db8::1", "dev", "up0");
        await watch.UntilAsync(u => u.Uplinks.SetEquals([upIndex]), Within);

        Assert.Equal(0, watch.Watcher.MalformedMessages);
    }

    [Fact]
    public async Task Two_hundred_veth_pairs_created_and_deleted_leak_no_descriptor_and_miss_no_event()
    {
        await using var lab = await NetlinkLab.CreateAsync();
        await using (var warmUp = Watch.Start(lab.Watched))
        {
            // The first socket starts .NET's process-wide socket engine (an epoll descriptor and a pipe): not a leak.
            await warmUp.NextAsync(Within);
        }

        var before = OpenDescriptors();
        var opener = new RecordingOpener(TimeProvider.System);
        var manager = new CapturePointManager(CaptureSelectors.Parse(["ch*a"], ["uplinks"]), CapturePointPolicy.Default, opener, NullLogger.Instance);
        int during;
        await using (var watch = Watch.Start(lab.Watched, manager))
        {
            await watch.UntilAsync(_ => watch.Updates > 0, Within);
            during = OpenDescriptors();
            const int pairs = 200;
            await lab.Batch(Enumerable.Range(0, pairs).Select(i => $"link add ch{i}a type veth peer name ch{i}b"));
            await lab.Batch(Enumerable.Range(0, pairs).Select(i => $"link set ch{i}a up"));
            await lab.Batch(Enumerable.Range(0, pairs).Select(i => $"link set ch{i}b up"));
            await watch.UntilAsync(_ => opener.OpenCount == pairs, TimeSpan.FromSeconds(20));
            await lab.Batch(Enumerable.Range(0, pairs).Select(i => $"link del ch{i}a"));
            await watch.UntilAsync(u => u.Links.Count == 1 && opener.OpenCount == 0, TimeSpan.FromSeconds(20));

            foreach (var i in Enumerable.Range(0, pairs))
            {
                // A resync after an overrun may fold an add and remove it missed into nothing; say so if it happened.
                Assert.True(
                    watch.Saw($"+ch{i}a") && watch.Saw($"+ch{i}b") && watch.Saw($"-ch{i}a") && watch.Saw($"-ch{i}b"),
                    $"ch{i}: added/removed events missing (overruns: {watch.Watcher.Overruns})");
            }

            Assert.Equal(pairs, manager.Opens);
            Assert.Equal(pairs, manager.Closes);
            Assert.Equal(0, manager.FailedOpens);
            Assert.Equal(0, watch.Watcher.MalformedMessages);
            Assert.Equal(during, OpenDescriptors());
        }

        Assert.Equal(before, OpenDescriptors());
    }

    [Fact]
    public async Task After_the_kernel_drops_events_for_a_small_buffer_a_resync_leaves_the_right_points_open()
    {
        await using var lab = await NetlinkLab.CreateAsync();
        var opener = new RecordingOpener(TimeProvider.System);
        var manager = new CapturePointManager(CaptureSelectors.Parse(["ov*a"], []), CapturePointPolicy.Default, opener, NullLogger.Instance);
        await using var watch = Watch.Start(lab.Watched, manager, receiveBufferBytes: 64 * 1024);
        await watch.NextAsync(Within);
        const int pairs = 150;

        // With the consumer held, the watcher's update channel fills and it stops reading the socket: the ~900 link
        // messages of the batch (about 1.5 KB each) overflow the 64 KiB socket buffer and the kernel reports ENOBUFS.
        watch.Hold();
        await lab.Batch(Enumerable.Range(0, pairs).SelectMany(i => new[] { $"link add ov{i}a type veth peer name ov{i}b", $"link set ov{i}a up", $"link set ov{i}b up" }));
        watch.Release();
        await watch.UntilAsync(u => u.Links.Count == 1 + (2 * pairs) && opener.OpenCount == pairs, TimeSpan.FromSeconds(20));
        Assert.True(watch.Watcher.Overruns > 0, "the 4 KiB buffer never overran: the resync path was not exercised");

        await lab.Batch(Enumerable.Range(0, pairs).Where(i => i % 2 == 0).Select(i => $"link del ov{i}a"));
        await watch.UntilAsync(u => u.Links.Count == 1 + pairs && opener.OpenCount == pairs / 2, TimeSpan.FromSeconds(20));
        Assert.Equal(Enumerable.Range(0, pairs).Where(i => i % 2 == 1).Select(i => $"ov{i}a").Order(StringComparer.Ordinal), opener.OpenNames);
        Assert.Equal(0, manager.FailedOpens);
    }

    private static int OpenDescriptors() => Directory.GetFiles("/proc/self/fd").Length;

    /// <summary>A watcher (and optionally a manager) running on a socket in the lab namespace, with every update kept.</summary>
    private sealed class Watch : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly HashSet<string> _seen = [];
        private readonly SemaphoreSlim _arrived = new(0);
        private readonly SemaphoreSlim _held = new(1, 1);
        private readonly Task _watcherRun;
        private readonly Task _consumer;
        private readonly Task _managerRun = Task.CompletedTask;
        private int _updates;

        private Watch(RtnetlinkWatcher watcher, CapturePointManager? manager)
        {
            Watcher = watcher;
            _watcherRun = watcher.RunAsync(_stop.Token);
            var forManager = System.Threading.Channels.Channel.CreateUnbounded<LinkWatchUpdate>();
            _consumer = ConsumeAsync(manager is null ? null : forManager.Writer);
            if (manager is not null)
            {
                _managerRun = manager.RunAsync(forManager.Reader, _stop.Token);
            }
        }

        public RtnetlinkWatcher Watcher { get; }

        public LinkWatchUpdate? Latest { get; private set; }

        public int Updates => Volatile.Read(ref _updates);

        public static Watch Start(string networkNamespace, CapturePointManager? manager = null, int receiveBufferBytes = RtnetlinkWatcher.DefaultReceiveBufferBytes) =>
            new(new RtnetlinkWatcher(NetnsSocketOpener.Open(networkNamespace, receiveBufferBytes), TimeProvider.System, NullLogger.Instance), manager);

        /// <summary>Stops consuming updates until <see cref="Release"/>, so that the watcher blocks as behind a slow consumer.</summary>
        public void Hold() => _held.Wait();

        public void Release() => _held.Release();

        public bool Saw(string change)
        {
            lock (_seen)
            {
                return _seen.Contains(change);
            }
        }

        public Task<LinkWatchUpdate> NextAsync(TimeSpan within) => UntilAsync(_ => true, within);

        /// <summary>Waits until the latest update satisfies the condition; fails with the time waited otherwise.</summary>
        public async Task<LinkWatchUpdate> UntilAsync(Func<LinkWatchUpdate, bool> condition, TimeSpan within)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                if (Latest is { } latest && condition(latest))
                {
                    return latest;
                }

                // Woken by each update; the manager's side of a condition (points opened) moves after the last
                // update, so the condition is also checked again every 20 ms.
                var left = within - clock.Elapsed;
                if (left > TimeSpan.Zero)
                {
                    await _arrived.WaitAsync(left < TimeSpan.FromMilliseconds(20) ? left : TimeSpan.FromMilliseconds(20));
                    continue;
                }

                if (_watcherRun.IsFaulted)
                {
                    await _watcherRun;
                }

                throw new TimeoutException($"condition not met within {within.TotalSeconds:0.#} s (updates: {Updates}, overruns: {Watcher.Overruns})");
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _watcherRun;
            await _consumer;
            await _managerRun;
            Watcher.Dispose();
            _stop.Dispose();
            _arrived.Dispose();
            _held.Dispose();
        }

        private async Task ConsumeAsync(System.Threading.Channels.ChannelWriter<LinkWatchUpdate>? forward)
        {
            await foreach (var update in Watcher.Updates.ReadAllAsync())
            {
                await _held.WaitAsync();
                _held.Release();
                lock (_seen)
                {
                    foreach (var change in update.Events)
                    {
                        _seen.Add(change switch
                        {
                            LinkEvent.Added a => "+" + a.Link.Name,
                            LinkEvent.Removed r => "-" + r.Link.Name,
                            _ => "~" + change.Link.Name,
                        });
                    }
                }

                Latest = update;
                Interlocked.Increment(ref _updates);
                forward?.TryWrite(update);
                _arrived.Release();
            }

            forward?.TryComplete();
        }
    }
}

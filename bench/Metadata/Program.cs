using System.Diagnostics;
using FlowExporter.Correlator.Metadata;
using FlowExporter.Correlator.Net;

// Figures for the metadata index: build time of a 100,000-pod cluster's index, lookup cost, memory held.
// Run: dotnet run -c Release --project bench/Metadata [pods]
var podCount = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
const int Nodes = 1_000;
var now = DateTimeOffset.UnixEpoch;

var before = GC.GetTotalMemory(forceFullCollection: true);
var state = new ClusterState(500_000, new RetainedEndpoints(TimeSpan.FromMinutes(2), 10_000));
var podIps = new IpAddress[podCount];
for (var i = 0; i < podCount; i++)
{
    var node = i % Nodes;
    var ip = IpAddress.FromV4(0x0A000000u | (uint)(node << 8) | (uint)(i / Nodes % 250 + 2) | ((uint)(i / (Nodes * 250)) << 18));
    podIps[i] = ip;
    var v6 = IpAddress.Parse($"fd00:10:244:{node:x}::{i >> 16:x}:{i & 0xffff:x}");
    var owner = new OwnerRef("ReplicaSet", $"app-{i % 2000}-5d4f8");
    state.UpsertPod(new PodRecord($"ns-{i % 100}", $"app-{i % 2000}-5d4f8-{i:x}", $"node-{node}", false, true, [ip, v6], [IpAddress.FromV4(0xAC120000u | (uint)node)], owner), now);
}

for (var r = 0; r < 2000; r++)
{
    for (var n = 0; n < 100; n += 50)
    {
        state.UpsertReplicaSet(new OwnedObject($"ns-{n}", $"app-{r}-5d4f8", new OwnerRef("Deployment", $"app-{r}")));
    }
}

for (var s = 0; s < 10_000; s++)
{
    state.UpsertService(new ServiceRecord($"ns-{s % 100}", $"svc-{s}", [IpAddress.FromV4(0x0A600000u | (uint)s)]));
}

var stateBytes = GC.GetTotalMemory(forceFullCollection: true) - before;

EndpointIndex index = EndpointIndex.Empty;
var builds = new List<double>();
for (var i = 0; i < 5; i++)
{
    var sw = Stopwatch.StartNew();
    index = state.Build(now);
    builds.Add(sw.Elapsed.TotalMilliseconds);
}

var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
index = state.Build(now);
var buildAllocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
builds.Sort();

const int Lookups = 10_000_000;
var hits = 0;
var lookup = Stopwatch.StartNew();
for (var i = 0; i < Lookups; i++)
{
    if (index.Find(podIps[(int)((uint)(i * 2654435761u) % (uint)podCount)]) is not null)
    {
        hits++;
    }
}

var lookupNs = lookup.Elapsed.TotalMilliseconds * 1e6 / Lookups;
var plain = new Dictionary<IpAddress, NetworkEndpoint>(index.Addresses);
var plainLookup = Stopwatch.StartNew();
for (var i = 0; i < Lookups; i++)
{
    if (plain.TryGetValue(podIps[(int)((uint)(i * 2654435761u) % (uint)podCount)], out _))
    {
        hits++;
    }
}

Console.WriteLine($"plain Dictionary lookup: {plainLookup.Elapsed.TotalMilliseconds * 1e6 / Lookups:0.0} ns/op");
var hashes = new HashSet<int>();
foreach (var ip in podIps)
{
    hashes.Add(ip.GetHashCode());
}

Console.WriteLine($"distinct hash codes of pod IPv4s: {hashes.Count} of {podIps.Length}");

var cidrs = new EndpointIndexBuilder();
for (var i = 0; i < 1000; i++)
{
    cidrs.AddCidr(IpPrefix.Create(IpAddress.FromV4(0xC0000000u | ((uint)i << 8)), 24 - (i % 8)), new NetworkEndpoint("", $"net-{i}", "", "", "", false, EndpointSource.StaticFile));
}

var cidrIndex = cidrs.Build();
var cidrHits = 0;
var cidrLookup = Stopwatch.StartNew();
for (var i = 0; i < 1_000_000; i++)
{
    if (cidrIndex.Find(IpAddress.FromV4(0xC0000000u | ((uint)i & 0x3FFFF))) is not null)
    {
        cidrHits++;
    }
}

var cidrNs = cidrLookup.Elapsed.TotalMilliseconds * 1e6 / 1_000_000;

Console.WriteLine($"pods: {podCount} (2 IPs each) on {Nodes} nodes, 2000 replicasets x2, 10000 services");
Console.WriteLine($"cluster state held: {stateBytes / 1048576.0:0.0} MiB; one index build allocates {buildAllocated / 1048576.0:0.0} MiB; {index.Count} entries");
Console.WriteLine($"index build (median of 5): {builds[2]:0.0} ms (min {builds[0]:0.0}, max {builds[4]:0.0})");
Console.WriteLine($"exact lookup: {lookupNs:0.0} ns/op over {Lookups} lookups ({hits} hits)");
Console.WriteLine($"CIDR lookup, 1000 prefixes of 8 lengths: {cidrNs:0.0} ns/op ({cidrHits} of 1000000 hit)");

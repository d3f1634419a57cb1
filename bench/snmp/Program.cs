using System.Diagnostics;
using System.Globalization;
using CliWrap;
using CliWrap.Buffered;
using FlowExporter.Correlator.Snmp;
using FlowExporter.Correlator.Snmp.IfMib;
using FlowExporter.Snmp;

// Usage:
//   FlowExporter.Bench poll-vs-walk HOST PORT COMMUNITY RUNS
//   FlowExporter.Bench poll-vs-walk-v3 HOST PORT USER AUTHPASS PRIVPASS RUNS   (authPriv, SHA / AES-128)
//   FlowExporter.Bench scale HOST PORTS(comma-separated) COMMUNITY CONCURRENCY ROUNDS
var culture = CultureInfo.InvariantCulture;
return args.FirstOrDefault() switch
{
    "poll-vs-walk" => await PollVersusWalk(
        args[1], int.Parse(args[2], culture), int.Parse(args[4], culture), "v2c",
        (transport, id) => new CommunityClient(transport, System.Text.Encoding.UTF8.GetBytes(args[3]), id),
        ["-v2c", "-c", args[3]]),
    "poll-vs-walk-v3" => await PollVersusWalk(
        args[1], int.Parse(args[2], culture), int.Parse(args[6], culture), "v3 authPriv SHA/AES",
        (transport, id) => new UsmClient(transport, new UsmUser(args[3], SecurityLevel.AuthPriv, AuthProtocol.Sha1, args[4], PrivProtocol.Aes128, args[5]), string.Empty, TimeProvider.System, id, (ulong)id),
        ["-v3", "-l", "authPriv", "-u", args[3], "-a", "SHA", "-A", args[4], "-x", "AES", "-X", args[5]]),
    "scale" => await Scale(args[1], args[2].Split(',').Select(p => int.Parse(p, culture)).ToArray(), args[3], int.Parse(args[4], culture), int.Parse(args[5], culture)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: poll-vs-walk HOST PORT COMMUNITY RUNS | scale HOST PORTS COMMUNITY CONCURRENCY ROUNDS");
    return 2;
}

static async Task<int> PollVersusWalk(string host, int port, int runs, string mode, Func<ISnmpTransport, int, SnmpClient> clientFor, string[] authArguments)
{
    var ifTable = Oid.Parse("1.3.6.1.2.1.2.2");
    var ifXTable = Oid.Parse("1.3.6.1.2.1.31.1.1");
    var ourPoll = new List<double>();
    var ourWalk = new List<double>();
    var netSnmp = new List<double>();
    var rows = 0;
    for (var run = 0; run < runs; run++)
    {
        // Our full IF-MIB poll as the exporter does its first one (labels and counters), on a fresh client each time.
        using (var transport = new UdpSnmpTransport(host, port, TimeSpan.FromSeconds(2), 1, TimeProvider.System))
        {
            var watch = Stopwatch.StartNew();
            var snapshot = await new IfMibPoller("bench", clientFor(transport, run + 1), 25, 10, _ => true)
                .PollAsync(CancellationToken.None);
            ourPoll.Add(watch.Elapsed.TotalMilliseconds);
            rows = snapshot.Ports.Count;
        }

        // Our walk of the same two whole tables snmpbulkwalk fetches (every column), one after the other.
        using (var transport = new UdpSnmpTransport(host, port, TimeSpan.FromSeconds(2), 1, TimeProvider.System))
        {
            var client = clientFor(transport, run + 1000);
            var watch = Stopwatch.StartNew();
            await SnmpWalker.WalkAsync(client, [ifTable], 25, 100_000, CancellationToken.None);
            await SnmpWalker.WalkAsync(client, [ifXTable], 25, 100_000, CancellationToken.None);
            ourWalk.Add(watch.Elapsed.TotalMilliseconds);
        }

        // net-snmp: two snmpbulkwalk processes, one per table (process start included: that is the command's cost).
        var started = Stopwatch.StartNew();
        foreach (var table in new[] { ifTable, ifXTable })
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var result = await Cli.Wrap("snmpbulkwalk")
                .WithArguments([.. authArguments, "-On", "-Oe", "-Cr25", $"{host}:{port}", table.ToString()])
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(timeout.Token);
            if (result.ExitCode != 0)
            {
                Console.Error.WriteLine($"snmpbulkwalk failed: {result.StandardError}");
                return 1;
            }
        }

        netSnmp.Add(started.Elapsed.TotalMilliseconds);
    }

    Console.WriteLine($"{mode}: agent {host}:{port}, {rows} interfaces, {runs} runs, max-repetitions 25, fresh client per run (median / min ms)");
    Console.WriteLine($"  our IF-MIB poll (selected columns of both tables, labels included): {Median(ourPoll),8:0.00} / {ourPoll.Min(),8:0.00}");
    Console.WriteLine($"  our walk of ifTable + ifXTable (all columns):                      {Median(ourWalk),8:0.00} / {ourWalk.Min(),8:0.00}");
    Console.WriteLine($"  snmpbulkwalk ifTable + snmpbulkwalk ifXTable (two commands):       {Median(netSnmp),8:0.00} / {netSnmp.Min(),8:0.00}");
    return 0;
}

static async Task<int> Scale(string host, int[] ports, string community, int concurrency, int rounds)
{
    var targets = ports.Select((port, i) => new SnmpTargetOptions
    {
        Name = $"sim-{i}",
        Host = host,
        Port = port,
        Community = new SnmpSecret(community),
        Timeout = TimeSpan.FromSeconds(5),
        Retries = 1,
        Interval = TimeSpan.FromSeconds(15),
    }).ToList();
    using var source = new SnmpSource(new SnmpOptions(targets, [], concurrency), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<SnmpSource>.Instance);
    Console.WriteLine($"{targets.Count} targets (one snmpsimd endpoint each), concurrency {concurrency}");
    for (var round = 0; round < rounds; round++)
    {
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var results = await Task.WhenAll(source.Targets.Select(t => source.PollOnceAsync(t, CancellationToken.None)));
        var elapsed = watch.Elapsed;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var ok = results.Count(r => r);
        var perTargetCpuMs = cpu.TotalMilliseconds / Math.Max(1, ok);
        Console.WriteLine(
            $"  round {round + 1}{(round == 0 ? " (labels walked)" : string.Empty)}: {ok}/{targets.Count} polls ok in {elapsed.TotalSeconds:0.00}s wall, " +
            $"{cpu.TotalSeconds:0.00}s CPU ({perTargetCpuMs:0.00} ms CPU per target poll); " +
            $"at this pace one 15 s interval fits {targets.Count * 15 / elapsed.TotalSeconds:0} targets (agent-bound), " +
            $"our CPU alone would allow {15_000 / perTargetCpuMs:0} per core");
    }

    return 0;
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
}

using System.Globalization;
using System.Net.NetworkInformation;
using System.Runtime.InteropServices;
using FlowExporter.Capture.Ebpf;

namespace FlowExporter.EbpfAttach;

/// <summary>
/// <c>ebpf-attach check [OBJECT]</c>: loads the program and exits 0, or prints the classified failure and exits 2.
/// <c>ebpf-attach hold INTERFACE [SWEEP_MS] [OBJECT]</c>: attaches to INTERFACE (current network namespace), sweeps every
/// SWEEP_MS (default 1000) printing totals, and on SIGTERM or SIGINT detaches and exits 0.
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        try
        {
            return args switch
            {
                ["check", ..] => Check(args.Length > 1 ? args[1] : EbpfProgram.DefaultObjectPath),
                ["hold", var name, ..] => await HoldAsync(
                    name,
                    args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1000,
                    args.Length > 3 ? args[3] : EbpfProgram.DefaultObjectPath),
                _ => Usage(),
            };
        }
        catch (EbpfException failure)
        {
            Console.WriteLine($"failed kind={failure.Kind} errno={failure.Errno}: {failure.Message}");
            return 2;
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: ebpf-attach check [OBJECT] | hold INTERFACE [SWEEP_MS] [OBJECT]");
        return 2;
    }

    private static int Check(string objectPath)
    {
        using var program = EbpfProgram.Load(objectPath);
        Console.WriteLine("loaded");
        return 0;
    }

    private static async Task<int> HoldAsync(string interfaceName, int sweepMilliseconds, string objectPath)
    {
        var index = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(i => i.Name == interfaceName)?.GetIPProperties().GetIPv4Properties()?.Index
            ?? throw new EbpfException(EbpfFailureKind.InterfaceMissing, 19, $"no interface {interfaceName} in this network namespace");
        using var program = EbpfProgram.Load(objectPath);
        using var attachment = TcAttachment.Attach(program, index);
        var sweeper = new EbpfSweeper(program, TimeProvider.System);
        Console.WriteLine($"attached ifindex={index} pid={Environment.ProcessId}");

        using var stop = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });

        var samples = new List<EbpfConnectionSample>();
        ulong bytes = 0, packets = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(sweepMilliseconds));
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token))
            {
                Sweep();
            }
        }
        catch (OperationCanceledException)
        {
        }

        Sweep();
        attachment.Dispose();
        Console.WriteLine($"detached error={attachment.DetachError} bytes={bytes} packets={packets} map_full={sweeper.ReadCounters().MapFull}");
        return 0;

        void Sweep()
        {
            samples.Clear();
            sweeper.Sweep(samples, CancellationToken.None);
            foreach (var sample in samples)
            {
                bytes += sample.BytesFromA + sample.BytesFromB;
                packets += sample.PacketsFromA + sample.PacketsFromB;
            }

            Console.WriteLine($"sweep connections={samples.Count} bytes={bytes} packets={packets}");
        }
    }
}

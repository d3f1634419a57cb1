using System.Net;
using System.Net.Sockets;
using FlowExporter.Correlator.Snmp;

namespace FlowExporter.Tests.Snmp;

/// <summary>
/// A tiny v2c agent on a loopback UDP port: answers every request from <see cref="Mib"/> (Get and GetBulk), optionally
/// preceded by a stale answer, a garbage datagram, and followed by a duplicate. Silent when <see cref="Silent"/>.
/// </summary>
internal sealed class UdpTestAgent : IAsyncDisposable
{
    private readonly UdpClient _udp;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public UdpTestAgent()
        : this(0)
    {
    }

    /// <summary>An agent on a given loopback port (0: any free one).</summary>
    public UdpTestAgent(int port)
    {
        _udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, port));
        Port = ((IPEndPoint)_udp.Client.LocalEndPoint!).Port;
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    public SortedDictionary<Oid, SnmpValue> Mib { get; } = [];

    public bool Silent { get; set; }

    public bool Noisy { get; set; }

    public int Requests;

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult received;
            try
            {
                received = await _udp.ReceiveAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            Interlocked.Increment(ref Requests);
            if (Silent)
            {
                continue;
            }

            var request = CommunityMessage.Decode(received.Buffer);
            var answer = new CommunityMessage(request.Version, request.Community, Answer(request.Pdu)).Encode();
            if (Noisy)
            {
                var stale = new CommunityMessage(request.Version, request.Community, Answer(request.Pdu) with { RequestId = request.Pdu.RequestId ^ 0x55 }).Encode();
                await _udp.SendAsync(stale, received.RemoteEndPoint);
                await _udp.SendAsync(new byte[] { 0x30, 0x84, 0xff, 0xff, 0xff, 0xff }, received.RemoteEndPoint);
            }

            await _udp.SendAsync(answer, received.RemoteEndPoint);
            if (Noisy)
            {
                await _udp.SendAsync(answer, received.RemoteEndPoint);
            }
        }
    }

    private Pdu Answer(Pdu request)
    {
        var keys = Mib.Keys.ToArray();
        VarBind Next(Oid oid)
        {
            var i = Array.BinarySearch(keys, oid);
            i = i >= 0 ? i + 1 : ~i;
            return i < keys.Length ? new VarBind(keys[i], Mib[keys[i]]) : new VarBind(oid, SnmpValue.Exception(SnmpType.EndOfMibView));
        }

        var bindings = new List<VarBind>();
        if (request.Type == PduType.GetBulkRequest)
        {
            var cursors = request.VarBinds.Select(b => b.Oid).ToArray();
            for (var r = 0; r < request.ErrorIndex; r++)
            {
                for (var j = 0; j < cursors.Length; j++)
                {
                    var next = Next(cursors[j]);
                    bindings.Add(next);
                    cursors[j] = next.Oid;
                }
            }
        }
        else
        {
            bindings.AddRange(request.VarBinds.Select(b => new VarBind(b.Oid, Mib.TryGetValue(b.Oid, out var v) ? v : SnmpValue.Exception(SnmpType.NoSuchInstance))));
        }

        return new Pdu(PduType.Response, request.RequestId, 0, 0, bindings);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _udp.Dispose();
        _stop.Dispose();
    }
}

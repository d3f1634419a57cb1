using System.Text.Json;
using FlowExporter.Correlator.Ovs;

namespace FlowExporter.Correlator.Tests.Ovs;

/// <summary>Mutated real inputs: the parsers either succeed or throw <see cref="OvsdbFormatException"/>, nothing else.</summary>
public sealed class OvsGarbageTests
{
    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = (byte[])original.Clone();
        for (var i = random.Next(1, 4); i > 0; i--)
        {
            var at = random.Next(bytes.Length);
            bytes[at] = random.Next(3) switch
            {
                0 => (byte)random.Next(256),
                1 => (byte)"[]{}\",:0-"[random.Next(9)],
                _ => (byte)' ',
            };
        }

        return random.Next(4) == 0 ? bytes[..random.Next(bytes.Length)] : bytes;
    }

    [Fact]
    public void Mutated_vsctl_output_never_throws_anything_but_a_format_error()
    {
        var original = OvsFixtures.Bytes("lab-vsctl-bridge-port-interface.json");
        var random = new Random(7047);
        var rejected = 0;
        for (var i = 0; i < 3000; i++)
        {
            try
            {
                OvsVsctlOutput.Parse(Mutate(original, random));
            }
            catch (OvsdbFormatException)
            {
                rejected++;
            }
        }

        Assert.InRange(rejected, 1, 3000);
    }

    [Fact]
    public void Mutated_monitor_messages_never_throw_anything_but_a_format_error_and_never_half_apply()
    {
        var original = File.ReadAllBytes(OvsFixtures.Path("lab-ovsdb-monitor-session.jsonl")).AsSpan();
        var reply = original[..original.IndexOf((byte)'\n')].ToArray();
        var random = new Random(5);
        for (var i = 0; i < 3000; i++)
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(Mutate(reply, random));
            }
            catch (JsonException)
            {
                continue; // the client counts this as malformed_json before the model sees it
            }

            using (document)
            {
                var database = new OvsDatabase();
                var result = document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("result", out var r)
                    ? r
                    : document.RootElement;
                try
                {
                    database.ApplyTableUpdates(result);
                    _ = database.ToSnapshot();
                }
                catch (OvsdbFormatException)
                {
                    Assert.Equal((0, 0, 0), (database.BridgeCount, database.PortCount, database.InterfaceCount));
                }
            }
        }
    }
}

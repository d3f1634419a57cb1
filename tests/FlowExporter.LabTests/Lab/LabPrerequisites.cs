namespace FlowExporter.LabTests.Lab;

/// <summary>
/// Checks what a lab test needs before it starts, and FAILS (never skips) with one message naming everything missing.
/// </summary>
public static class LabPrerequisites
{
    public const string OvsSchemaPath = "/usr/share/openvswitch/vswitch.ovsschema";

    public static readonly string[] OvsTools = ["ip", "ethtool", "ovsdb-tool", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ovs-appctl"];

    /// <summary>Root plus the OVS lab's tools and schema; add more tools (iperf3, tcpdump...) as needed.</summary>
    public static void RequireOvsLab(params string[] extraTools)
    {
        var missing = new List<string>();
        if (!IsRoot())
        {
            missing.Add("root (lab tests create network namespaces: run as root)");
        }

        foreach (var tool in OvsTools.Concat(extraTools))
        {
            if (FindOnPath(tool) is null)
            {
                missing.Add($"'{tool}' on PATH");
            }
        }

        if (!File.Exists(OvsSchemaPath))
        {
            missing.Add($"the OVS schema {OvsSchemaPath} (package openvswitch-switch)");
        }

        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                "lab prerequisites missing: " + string.Join("; ", missing) +
                " (see LAB.md: apt-get install openvswitch-switch iproute2 ethtool iperf3, run as root)");
        }
    }

    /// <summary>Only root and the given tools.</summary>
    public static void Require(params string[] tools)
    {
        var missing = tools.Where(t => FindOnPath(t) is null).Select(t => $"'{t}' on PATH").ToList();
        if (!IsRoot())
        {
            missing.Insert(0, "root");
        }

        if (missing.Count > 0)
        {
            throw new InvalidOperationException("lab prerequisites missing: " + string.Join("; ", missing));
        }
    }

    public static bool IsRoot()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                {
                    var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                    return fields.Length > 2 && fields[2] == "0";
                }
            }
        }
        catch (IOException)
        {
        }

        return false;
    }

    public static string? FindOnPath(string tool)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/sbin"]))
        {
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}

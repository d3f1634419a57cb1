using System.Reflection;
using Prometheus;

namespace FlowExporter.Hosting;

/// <summary><c>flowexporter_build_info{version, runtime}</c> = 1.</summary>
public static class BuildInfo
{
    public static string Version { get; } =
        typeof(BuildInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown";

    public static void Register(IMetricFactory factory) =>
        factory.CreateGauge("flowexporter_build_info", "FlowExporter's version and the .NET runtime it runs on (always 1).", ["version", "runtime"])
            .WithLabels(Version, Environment.Version.ToString())
            .Set(1);
}

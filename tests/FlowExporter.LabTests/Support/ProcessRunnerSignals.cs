using FlowExporter.LabTests.Lab;

namespace FlowExporter.LabTests.Support;

internal static class ProcessRunnerSignals
{
    public static Task SendAsync(int pid, string signal) =>
        ProcessRunner.RunAsync("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5));
}

namespace FlowExporter.Capture;

/// <summary>Whether a seccomp filter confines this process (the <c>Seccomp:</c> line of /proc/self/status is 2).</summary>
internal static class ProcessSeccomp
{
    public static bool IsFiltered()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("Seccomp:", StringComparison.Ordinal))
                {
                    return line.AsSpan("Seccomp:".Length).Trim().SequenceEqual("2");
                }
            }
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // Only a hint for an error message: without /proc, say nothing of seccomp.
            return false;
        }

        return false;
    }
}

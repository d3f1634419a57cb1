using FlowExporter.Configuration;

namespace FlowExporter.Endpoints;

/// <summary>Settings of the static endpoints file source (top-level key <c>endpoints_file</c>).</summary>
public sealed record EndpointsFileOptions
{
    /// <summary>The file's path; null means the source is off.</summary>
    public string? Path { get; init; }

    /// <summary>How often the file's modification time and size are checked, in case change notifications are missed.</summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Wait this long after a change notification before reading, so a file being written is read whole.</summary>
    public TimeSpan SettleDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Whether to use change notifications at all (off: only the periodic check).</summary>
    public bool WatchForChanges { get; init; } = true;

    public bool Enabled => Path is not null;

    public static EndpointsFileOptions FromConfiguration(IConfiguration configuration)
    {
        var path = ConfigReader.String(configuration, EndpointsFileParser.Key);
        if (string.IsNullOrWhiteSpace(path))
        {
            return new EndpointsFileOptions();
        }

        path = path.Trim();
        if (!File.Exists(path))
        {
            throw new ConfigException(EndpointsFileParser.Key, $"file '{path}' does not exist");
        }

        var options = new EndpointsFileOptions { Path = System.IO.Path.GetFullPath(path) };
        Validate(options.Path);
        return options;
    }

    /// <summary>Reads and parses the file once, so that a bad entry stops the start with one line.</summary>
    internal static FlowExporter.Correlator.Metadata.EndpointIndex Validate(string path)
    {
        try
        {
            return EndpointsFileParser.Parse(File.ReadAllText(path));
        }
        catch (EndpointsFileException ex)
        {
            throw new ConfigException(EndpointsFileParser.Key, ex.Message);
        }
        catch (IOException ex)
        {
            throw new ConfigException(EndpointsFileParser.Key, $"cannot read '{path}': {ex.Message}");
        }
        catch (UnauthorizedAccessException)
        {
            throw new ConfigException(EndpointsFileParser.Key, $"cannot read '{path}': permission denied");
        }
    }
}

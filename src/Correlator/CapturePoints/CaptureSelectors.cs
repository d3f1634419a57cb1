namespace FlowExporter.Correlator.CapturePoints;

/// <summary>
/// What <c>capture.interfaces</c> and <c>capture.discover</c> ask for, parsed and checked: included names/globs,
/// excluding entries (<c>!pattern</c>, applied to every source, discovery included) and the discovery sources.
/// </summary>
public sealed class CaptureSelectors
{
    private CaptureSelectors(IReadOnlyList<InterfaceSelector> includes, IReadOnlyList<InterfaceSelector> excludes, IReadOnlySet<DiscoverySource> discover)
    {
        Includes = includes;
        Excludes = excludes;
        Discover = discover;
    }

    public IReadOnlyList<InterfaceSelector> Includes { get; }

    public IReadOnlyList<InterfaceSelector> Excludes { get; }

    public IReadOnlySet<DiscoverySource> Discover { get; }

    /// <summary>Every label the points-by-selector gauge reports, including those that select nothing right now (gauge at 0).</summary>
    public IReadOnlyList<string> Labels =>
        [.. Includes.Select(s => s.Label), .. Discover.Order().Select(DiscoverySources.Label)];

    /// <summary>Parses both keys; throws <see cref="CapturePointConfigException"/> naming the first bad entry.</summary>
    public static CaptureSelectors Parse(IReadOnlyList<string> interfaces, IReadOnlyList<string> discover)
    {
        var includes = new List<InterfaceSelector>();
        var excludes = new List<InterfaceSelector>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < interfaces.Count; i++)
        {
            var entry = interfaces[i] ?? "";
            var key = $"capture.interfaces[{i}] '{entry}'";
            var excluding = entry.StartsWith('!');
            var pattern = excluding ? entry[1..] : entry;
            if (!InterfaceGlob.TryParse(pattern, out var glob, out var error))
            {
                throw new CapturePointConfigException(key, $"invalid interface name or glob: {error}");
            }

            if (glob!.LiteralName is { Length: > MaxInterfaceNameLength } name)
            {
                throw new CapturePointConfigException(key, $"'{name}' is longer than the {MaxInterfaceNameLength} characters an interface name can have");
            }

            if (!seen.Add(entry))
            {
                continue;
            }

            (excluding ? excludes : includes).Add(new InterfaceSelector(entry, glob, excluding));
        }

        var sources = new HashSet<DiscoverySource>();
        for (var i = 0; i < discover.Count; i++)
        {
            if (!DiscoverySources.TryParse(discover[i] ?? "", out var source))
            {
                throw new CapturePointConfigException(
                    $"capture.discover[{i}] '{discover[i]}'",
                    $"unknown discovery source (known: {string.Join(", ", DiscoverySources.Names)})");
            }

            sources.Add(source);
        }

        return new CaptureSelectors(includes, excludes, sources);
    }

    /// <summary>IFNAMSIZ (16) less the terminating NUL.</summary>
    public const int MaxInterfaceNameLength = 15;

    public bool IsExcluded(string name)
    {
        foreach (var exclude in Excludes)
        {
            if (exclude.Glob.IsMatch(name))
            {
                return true;
            }
        }

        return false;
    }
}

namespace KubeApiStandIn;

/// <summary>One listable, watchable collection: its list kind and the items, each serialised with its node (pods).</summary>
internal sealed record ApiResource(string ApiVersion, string Kind, IReadOnlyList<ApiItem> Items)
{
    public string ListKind => Kind + "List";
}

/// <summary>An object as JSON text, with what list filters and watches need to know about it.</summary>
internal sealed record ApiItem(string Json, string? NodeName, long ResourceVersion);

namespace FlowExporter.Correlator.Snmp;

/// <summary>
/// Walks one or more subtrees (table columns) side by side with GetBulk: each request carries one binding per unfinished
/// column, and each column ends when the agent answers with an OID outside it or endOfMibView. An agent that answers with
/// an OID not after the previous one is an error (it would loop forever). tooBig halves max-repetitions.
/// </summary>
public static class SnmpWalker
{
    /// <summary>Walks each subtree; returns the bindings found under each, in the order of <paramref name="roots"/>.</summary>
    public static async Task<IReadOnlyList<VarBind>[]> WalkAsync(
        SnmpClient client, IReadOnlyList<Oid> roots, int maxRepetitions, int maxRowsPerColumn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(roots);
        var results = new List<VarBind>[roots.Count];
        var cursor = new Oid[roots.Count];
        var done = new bool[roots.Count];
        for (var i = 0; i < roots.Count; i++)
        {
            results[i] = [];
            cursor[i] = roots[i];
        }

        var repetitions = Math.Max(1, maxRepetitions);
        var active = new List<int>(roots.Count);
        while (true)
        {
            active.Clear();
            for (var i = 0; i < roots.Count; i++)
            {
                if (!done[i])
                {
                    active.Add(i);
                }
            }

            if (active.Count == 0)
            {
                return results;
            }

            var response = await client.GetBulkAsync(0, repetitions, active.Select(i => cursor[i]), cancellationToken).ConfigureAwait(false);
            if (response.ErrorStatus == 1 && repetitions > 1)
            {
                repetitions = Math.Max(1, repetitions / 2);
                continue;
            }

            if (response.ErrorStatus != 0)
            {
                throw new SnmpRequestException(SnmpFailure.ErrorStatus, $"the agent answered with error status {ErrorStatusName(response.ErrorStatus)} (index {response.ErrorIndex})");
            }

            if (response.VarBinds.Count == 0)
            {
                throw new SnmpRequestException(SnmpFailure.MalformedResponse, "the agent answered a GetBulk with no bindings");
            }

            for (var k = 0; k < response.VarBinds.Count; k++)
            {
                var column = active[k % active.Count];
                if (done[column])
                {
                    continue;
                }

                var binding = response.VarBinds[k];
                if (binding.Value.Type == SnmpType.EndOfMibView || !roots[column].IsAncestorOf(binding.Oid))
                {
                    done[column] = true;
                    continue;
                }

                if (binding.Oid.CompareTo(cursor[column]) <= 0)
                {
                    throw new SnmpRequestException(
                        SnmpFailure.OidNotIncreasing, $"the agent returned {binding.Oid} after {cursor[column]}: OIDs not increasing");
                }

                if (results[column].Count >= maxRowsPerColumn)
                {
                    throw new SnmpRequestException(SnmpFailure.TooManyRows, $"more than {maxRowsPerColumn} rows under {roots[column]}");
                }

                cursor[column] = binding.Oid;
                if (!binding.Value.IsException)
                {
                    results[column].Add(binding);
                }
            }
        }
    }

    public static string ErrorStatusName(int status) => status switch
    {
        1 => "tooBig",
        2 => "noSuchName",
        3 => "badValue",
        4 => "readOnly",
        5 => "genErr",
        6 => "noAccess",
        16 => "authorizationError",
        _ => status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

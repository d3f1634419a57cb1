using System.Text;

namespace FlowExporter.Sources;

/// <summary>Default <c>collector</c> labels: a contributor's type name in snake case (<c>SnmpSource</c> → <c>snmp_source</c>).</summary>
public static class CollectorNames
{
    public static string Of(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var name = type.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        if (tick >= 0)
        {
            name = name[..tick];
        }

        var snake = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0 && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1]))))
                {
                    snake.Append('_');
                }

                snake.Append(char.ToLowerInvariant(c));
            }
            else
            {
                snake.Append(c);
            }
        }

        return snake.ToString();
    }
}

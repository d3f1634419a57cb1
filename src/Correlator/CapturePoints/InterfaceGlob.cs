namespace FlowExporter.Correlator.CapturePoints;

/// <summary>
/// An interface-name pattern with fnmatch(3) semantics and no flags: <c>*</c> any run of characters, <c>?</c> one
/// character, <c>[abc]</c>, <c>[a-z]</c> and <c>[!a-z]</c> / <c>[^a-z]</c> classes (a <c>]</c> first in a class is
/// literal), a backslash makes the next character literal. Where fnmatch quietly treats a malformed pattern as literal
/// text (an unclosed <c>[</c>, a trailing backslash), <see cref="TryParse"/> refuses it: in a config it is a typo.
/// </summary>
public sealed class InterfaceGlob
{
    private readonly Token[] _tokens;

    private InterfaceGlob(string pattern, Token[] tokens, bool isLiteral)
    {
        Pattern = pattern;
        _tokens = tokens;
        IsLiteral = isLiteral;
    }

    public string Pattern { get; }

    /// <summary>True when the pattern has no wildcard: it names exactly one interface.</summary>
    public bool IsLiteral { get; }

    /// <summary>The one name a literal pattern matches (escapes removed); null for a wildcard pattern.</summary>
    public string? LiteralName => IsLiteral ? string.Concat(_tokens.Select(t => t.Literal)) : null;

    public static bool TryParse(string pattern, out InterfaceGlob? glob, out string? error)
    {
        glob = null;
        if (pattern.Length == 0)
        {
            error = "an empty pattern";
            return false;
        }

        var tokens = new List<Token>();
        var literal = true;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*':
                    literal = false;
                    if (tokens.Count == 0 || tokens[^1].Kind != TokenKind.Star)
                    {
                        tokens.Add(new Token(TokenKind.Star, '\0', null, false));
                    }

                    break;
                case '?':
                    literal = false;
                    tokens.Add(new Token(TokenKind.AnyOne, '\0', null, false));
                    break;
                case '\\':
                    if (i + 1 >= pattern.Length)
                    {
                        error = "a trailing backslash escapes nothing";
                        return false;
                    }

                    tokens.Add(new Token(TokenKind.Literal, pattern[++i], null, false));
                    break;
                case '[':
                    if (!TryParseClass(pattern, ref i, out var token, out error))
                    {
                        return false;
                    }

                    literal = false;
                    tokens.Add(token);
                    break;
                default:
                    if (char.IsWhiteSpace(c) || c == '/')
                    {
                        error = $"'{c}' at position {i + 1} cannot be part of an interface name";
                        return false;
                    }

                    tokens.Add(new Token(TokenKind.Literal, c, null, false));
                    break;
            }
        }

        error = null;
        glob = new InterfaceGlob(pattern, [.. tokens], literal);
        return true;
    }

    public bool IsMatch(string name)
    {
        // Iterative wildcard matching: on a mismatch, retry from the last star with one more character consumed by it.
        int t = 0, n = 0, starToken = -1, starName = 0;
        while (n < name.Length)
        {
            if (t < _tokens.Length && _tokens[t].Kind == TokenKind.Star)
            {
                starToken = t++;
                starName = n;
            }
            else if (t < _tokens.Length && _tokens[t].Matches(name[n]))
            {
                t++;
                n++;
            }
            else if (starToken >= 0)
            {
                t = starToken + 1;
                n = ++starName;
            }
            else
            {
                return false;
            }
        }

        while (t < _tokens.Length && _tokens[t].Kind == TokenKind.Star)
        {
            t++;
        }

        return t == _tokens.Length;
    }

    public override string ToString() => Pattern;

    private static bool TryParseClass(string pattern, ref int i, out Token token, out string? error)
    {
        var start = i;
        var j = i + 1;
        var negated = j < pattern.Length && pattern[j] is '!' or '^';
        if (negated)
        {
            j++;
        }

        var ranges = new List<(char From, char To)>();
        var first = true;
        while (true)
        {
            if (j >= pattern.Length)
            {
                token = default;
                error = $"the class opened at position {start + 1} is not closed with ']'";
                return false;
            }

            var c = pattern[j];
            if (c == ']' && !first)
            {
                break;
            }

            first = false;
            if (c == '\\' && j + 1 < pattern.Length)
            {
                c = pattern[++j];
            }

            if (j + 2 < pattern.Length && pattern[j + 1] == '-' && pattern[j + 2] != ']')
            {
                var to = pattern[j + 2];
                if (to == '\\' && j + 3 < pattern.Length)
                {
                    to = pattern[j + 3];
                    j++;
                }

                if (to < c)
                {
                    token = default;
                    error = $"the range '{c}-{to}' at position {j + 1} runs backwards";
                    return false;
                }

                ranges.Add((c, to));
                j += 3;
            }
            else
            {
                ranges.Add((c, c));
                j++;
            }
        }

        i = j;
        token = new Token(TokenKind.Class, '\0', [.. ranges], negated);
        error = null;
        return true;
    }

    private enum TokenKind
    {
        Literal,
        AnyOne,
        Star,
        Class,
    }

    private readonly record struct Token(TokenKind Kind, char Literal, (char From, char To)[]? Ranges, bool Negated)
    {
        public bool Matches(char c) => Kind switch
        {
            TokenKind.Literal => c == Literal,
            TokenKind.AnyOne => true,
            TokenKind.Class => InClass(c) != Negated,
            _ => false,
        };

        private bool InClass(char c)
        {
            foreach (var (from, to) in Ranges!)
            {
                if (c >= from && c <= to)
                {
                    return true;
                }
            }

            return false;
        }
    }
}

using System.Security.Cryptography;
using System.Text;

namespace FlowExporter.Http.Security;

/// <summary>
/// Checks basic-auth credentials against the web config's bcrypt hashes. bcrypt is slow on purpose, so outcomes are
/// cached by user and SHA-256 of the password (never the password itself), in a bounded table; bcrypt runs one at a
/// time so a flood of wrong passwords costs one core at most. Unknown users pay the same bcrypt cost as known ones.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "A SemaphoreSlim whose wait handle is never asked for holds nothing to release.")]
public sealed class BasicAuthVerifier
{
    public const int CacheCapacity = 256;

    // A bcrypt hash of a random string, so an unknown user costs as much as a known one.
    private const string DecoyHash = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

    private readonly IReadOnlyDictionary<string, string> _users;
    private readonly Dictionary<CacheKey, bool> _cache = [];
    private readonly Lock _cacheLock = new();
    private readonly SemaphoreSlim _bcrypt = new(1, 1);
    private long _bcryptRuns;

    internal static string DecoyHashForTests => DecoyHash;

    public BasicAuthVerifier(IReadOnlyDictionary<string, string> users)
    {
        _users = users;
    }

    /// <summary>How many bcrypt comparisons ran (cache misses), for tests and the benchmark.</summary>
    public long BcryptRuns => Interlocked.Read(ref _bcryptRuns);

    public int CachedCount
    {
        get
        {
            lock (_cacheLock)
            {
                return _cache.Count;
            }
        }
    }

    public async ValueTask<bool> VerifyAsync(string user, string password, CancellationToken cancellationToken)
    {
        var key = new CacheKey(user, SHA256.HashData(Encoding.UTF8.GetBytes(password)));
        lock (_cacheLock)
        {
            if (_cache.TryGetValue(key, out var known))
            {
                return known;
            }
        }

        var hash = _users.TryGetValue(user, out var userHash) ? userHash : null;
        bool ok;
        await _bcrypt.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Interlocked.Increment(ref _bcryptRuns);
            ok = Verify(password, hash ?? DecoyHash) && hash is not null;
        }
        finally
        {
            _bcrypt.Release();
        }

        lock (_cacheLock)
        {
            if (_cache.Count >= CacheCapacity)
            {
                // Bounded: drop one entry (the table is a cache, any entry will do).
                _cache.Remove(_cache.Keys.First());
            }

            _cache[key] = ok;
        }

        return ok;
    }

    private static bool Verify(string password, string hash)
    {
        try
        {
            return BCrypt.Net.BCrypt.Verify(password, hash);
        }
        catch (BCrypt.Net.SaltParseException)
        {
            return false;
        }
    }

    private readonly struct CacheKey(string user, byte[] passwordSha256) : IEquatable<CacheKey>
    {
        private readonly string _user = user;
        private readonly UInt128 _high = BitConverter.ToUInt128(passwordSha256, 0);
        private readonly UInt128 _low = BitConverter.ToUInt128(passwordSha256, 16);

        public bool Equals(CacheKey other) => _high == other._high && _low == other._low && string.Equals(_user, other._user, StringComparison.Ordinal);

        public override bool Equals(object? obj) => obj is CacheKey other && Equals(other);

        public override int GetHashCode() => HashCode.Combine(_user, _high, _low);
    }
}

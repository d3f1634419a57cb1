using FlowExporter.Http.Security;

namespace FlowExporter.Tests.Http.Security;

public sealed class BasicAuthVerifierTests
{
    private static readonly string AliceHash = BCrypt.Net.BCrypt.HashPassword("alice-pw", BCrypt.Net.BCrypt.GenerateSalt(4, 'y'));

    [Fact]
    public async Task A_successful_check_is_cached_so_the_next_scrape_skips_bcrypt()
    {
        var verifier = new BasicAuthVerifier(new Dictionary<string, string> { ["alice"] = AliceHash });
        Assert.True(await verifier.VerifyAsync("alice", "alice-pw", CancellationToken.None));
        Assert.True(await verifier.VerifyAsync("alice", "alice-pw", CancellationToken.None));
        Assert.Equal(1, verifier.BcryptRuns);
    }

    [Fact]
    public async Task Wrong_passwords_and_unknown_users_fail_and_each_costs_one_bcrypt()
    {
        var verifier = new BasicAuthVerifier(new Dictionary<string, string> { ["alice"] = AliceHash });
        Assert.False(await verifier.VerifyAsync("alice", "wrong", CancellationToken.None));
        Assert.False(await verifier.VerifyAsync("bob", "alice-pw", CancellationToken.None));
        Assert.False(await verifier.VerifyAsync("alice", "Alice-pw", CancellationToken.None));
        Assert.Equal(3, verifier.BcryptRuns);
        Assert.False(await verifier.VerifyAsync("alice", "wrong", CancellationToken.None));
        Assert.Equal(3, verifier.BcryptRuns);
    }

    [Fact]
    public async Task The_cache_is_bounded()
    {
        var verifier = new BasicAuthVerifier(new Dictionary<string, string> { ["alice"] = AliceHash });
        for (var i = 0; i < BasicAuthVerifier.CacheCapacity + 20; i++)
        {
            Assert.False(await verifier.VerifyAsync("alice", $"guess-{i}", CancellationToken.None));
        }

        Assert.Equal(BasicAuthVerifier.CacheCapacity, verifier.CachedCount);
        Assert.True(await verifier.VerifyAsync("alice", "alice-pw", CancellationToken.None));
    }

    [Fact]
    public void The_decoy_hash_is_a_valid_bcrypt_hash()
    {
        Assert.Matches(@"^\$2y\$10\$[./A-Za-z0-9]{53}$", BasicAuthVerifier.DecoyHashForTests);
        Assert.False(BCrypt.Net.BCrypt.Verify("anything", BasicAuthVerifier.DecoyHashForTests));
    }
}

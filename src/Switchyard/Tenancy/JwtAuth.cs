using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Switchyard.Tenancy;

/// <summary>
/// <c>auth.jwt</c>: bearer tokens from one issuer, signed with an HS256 secret or RS256/ES256 keys (PEM files or a JWKS
/// file); issuer, audience and lifetime are checked. Claims name the tenant, the end user and the role.
/// </summary>
/// <param name="Keys">The keys a token may be signed with.</param>
internal sealed record JwtOptions(string Issuer, string? Audience, ImmutableArray<SecurityKey> Keys)
{
    public string TenantClaim { get; init; } = "tenant";
    public string UserClaim { get; init; } = "sub";
    public string RoleClaim { get; init; } = "role";
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>The HS256 secret, if that is how tokens are signed (a secret the logs must never show).</summary>
    public string? Secret { get; init; }

    /// <summary>The role that opens the whole admin API.</summary>
    public const string AdminRole = "admin";
    /// <summary>The role that manages the token's own tenant only: its keys, its usage, its log.</summary>
    public const string TenantAdminRole = "tenant_admin";
}

/// <summary>Who a valid token says the caller is.</summary>
/// <param name="Subject">The <c>sub</c> claim, as the request log names the caller's key (<c>jwt:{sub}</c>).</param>
internal sealed record JwtIdentity(string Subject, string? Tenant, string? User, string? Role);

/// <summary>
/// Validates bearer JWTs with <c>Microsoft.IdentityModel.JsonWebTokens</c>. A token that validated is remembered (by its
/// hash, until it expires or for five minutes at most), so a client sending the same token on every request pays the
/// signature check once.
/// </summary>
internal sealed class JwtValidator(TimeProvider time)
{
    private const int MaxCached = 10_000;
    private static readonly TimeSpan RememberAtMost = TimeSpan.FromMinutes(5);
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly ConcurrentDictionary<(string Hash, JwtOptions Options), (JwtIdentity Identity, DateTimeOffset Until)> _valid = new();

    /// <summary>Three base64url segments, the first a JSON object: worth validating as a JWT rather than looking up as a key.</summary>
    public static bool LooksLikeJwt(string presented) =>
        presented.StartsWith("eyJ", StringComparison.Ordinal) && presented.AsSpan().Count('.') == 2;

    /// <summary>The identity the token carries, or null with why it is refused.</summary>
    public async ValueTask<(JwtIdentity? Identity, string? Refusal)> ValidateAsync(string token, JwtOptions options)
    {
        var now = time.GetUtcNow();
        var hash = KeyHash.Of(token);
        if (_valid.TryGetValue((hash, options), out var known) && known.Until > now)
        {
            return (known.Identity, null);
        }
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = options.Issuer,
            ValidateAudience = options.Audience is not null,
            ValidAudience = options.Audience,
            IssuerSigningKeys = options.Keys,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ClockSkew = options.ClockSkew,
            LifetimeValidator = (notBefore, expires, _, p) =>
                (notBefore is null || notBefore.Value - p.ClockSkew <= now.UtcDateTime) && expires is { } e && e + p.ClockSkew > now.UtcDateTime,
        };
        var result = await _handler.ValidateTokenAsync(token, parameters).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return (null, Reason(result.Exception));
        }
        var claims = result.ClaimsIdentity;
        var identity = new JwtIdentity(Claim(claims, "sub") ?? "", Claim(claims, options.TenantClaim), Claim(claims, options.UserClaim), Claim(claims, options.RoleClaim));
        var until = result.SecurityToken.ValidTo is var validTo && validTo > DateTime.MinValue ? new DateTimeOffset(validTo, TimeSpan.Zero) : now;
        if (_valid.Count >= MaxCached)
        {
            _valid.Clear();
        }
        _valid[(hash, options)] = (identity, until < now + RememberAtMost ? until : now + RememberAtMost);
        return (identity, null);
    }

    private static string? Claim(ClaimsIdentity identity, string type) => identity.FindFirst(type)?.Value is { Length: > 0 } v ? v : null;

    /// <summary>Why, in words a client can act on (never the token or the key).</summary>
    private static string Reason(Exception? ex) => ex switch
    {
        SecurityTokenExpiredException or SecurityTokenInvalidLifetimeException => "the token has expired or is not valid yet",
        SecurityTokenInvalidIssuerException => "the token's issuer is not the configured one (auth.jwt.issuer)",
        SecurityTokenInvalidAudienceException => "the token's audience is not the configured one (auth.jwt.audience)",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "the token's signature does not verify with the configured keys",
        SecurityTokenNoExpirationException => "the token has no expiry (exp)",
        _ => "the token is not a valid JWT",
    };
}

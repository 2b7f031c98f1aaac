namespace Switchyard.Protocols.Canonical;

public sealed record GatewayError(ErrorKind Kind, string Message)
{
    public string? Code { get; init; }
    public string? Param { get; init; }
    public TimeSpan? RetryAfter { get; init; }
    /// <summary>The upstream's HTTP status when the error came from an upstream.</summary>
    public int? UpstreamStatus { get; init; }

    public static GatewayError Invalid(string message, string? param = null) => new(ErrorKind.InvalidRequest, message) { Param = param };

    /// <summary>Classifies an upstream HTTP status (MAPPING §13).</summary>
    public static ErrorKind KindFromStatus(int status) => status switch
    {
        400 or 422 => ErrorKind.InvalidRequest,
        401 => ErrorKind.Authentication,
        402 => ErrorKind.QuotaExceeded,
        403 => ErrorKind.Permission,
        404 => ErrorKind.NotFound,
        413 => ErrorKind.RequestTooLarge,
        429 => ErrorKind.RateLimit,
        502 or 503 or 529 => ErrorKind.Overloaded,
        504 or 408 => ErrorKind.Timeout,
        >= 500 => ErrorKind.Internal,
        _ => ErrorKind.InvalidRequest,
    };
}

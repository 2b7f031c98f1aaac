namespace Switchyard.Protocols.Canonical;

/// <summary>What went wrong, independent of protocol; each client protocol renders it (MAPPING §13).</summary>
public enum ErrorKind
{
    InvalidRequest,
    Authentication,
    Permission,
    NotFound,
    RequestTooLarge,
    RateLimit,
    QuotaExceeded,
    Internal,
    Overloaded,
    Timeout,
    Unavailable,
    /// <summary>The path exists but not for this HTTP method (405, with <c>Allow</c>).</summary>
    MethodNotAllowed,
    /// <summary>The upstream answered with something that is not its protocol: a malformed body or stream (502).</summary>
    BadGateway,
    /// <summary>The client sent its request too slowly (408).</summary>
    RequestTimeout,
    /// <summary>The object exists already, or belongs to the config file (409).</summary>
    Conflict,
    /// <summary>The object changed since the caller read it: its <c>If-Match</c> names an older version (412).</summary>
    PreconditionFailed,
}

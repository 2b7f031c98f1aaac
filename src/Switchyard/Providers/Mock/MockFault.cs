using System.Globalization;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Providers.Mock;

/// <summary>
/// A fault the mock injects, from the <c>x-mock-fault</c> header or a model suffix <c>-fault-&lt;spec&gt;</c>.
/// Specs: <c>429</c> (with retry-after), <c>401</c>, <c>400</c>, <c>500</c>, <c>503</c>, <c>529</c>, <c>delay-&lt;ms&gt;</c>,
/// <c>slow-&lt;ms&gt;</c> (between chunks), <c>midstream</c> (error event after two chunks), <c>drop</c> (connection
/// dropped mid-stream), <c>drop-early</c> (dropped before any answer).
/// </summary>
internal sealed record MockFault
{
    public static readonly MockFault None = new();
    public GatewayError? Error { get; init; }
    public TimeSpan DelayBeforeFirstByte { get; init; }
    public TimeSpan ChunkDelay { get; init; }
    public bool MidStreamError { get; init; }
    public bool DropMidStream { get; init; }
    public bool DropBeforeResponse { get; init; }

    public static MockFault Parse(string? header, string model)
    {
        var spec = header;
        if (string.IsNullOrEmpty(spec))
        {
            var at = model.LastIndexOf("-fault-", StringComparison.Ordinal);
            spec = at >= 0 ? model[(at + 7)..] : null;
        }
        if (string.IsNullOrEmpty(spec))
        {
            return None;
        }
        return spec switch
        {
            "429" => new MockFault { Error = new GatewayError(ErrorKind.RateLimit, "Mock fault: rate limit reached.") { RetryAfter = TimeSpan.FromSeconds(7), UpstreamStatus = 429 } },
            "401" => new MockFault { Error = new GatewayError(ErrorKind.Authentication, "Mock fault: invalid upstream API key.") { UpstreamStatus = 401 } },
            "400" => new MockFault { Error = new GatewayError(ErrorKind.InvalidRequest, "Mock fault: the upstream rejected the request.") { UpstreamStatus = 400 } },
            "500" => new MockFault { Error = new GatewayError(ErrorKind.Internal, "Mock fault: internal server error.") { UpstreamStatus = 500 } },
            "503" => new MockFault { Error = new GatewayError(ErrorKind.Overloaded, "Mock fault: service unavailable.") { UpstreamStatus = 503 } },
            "529" => new MockFault { Error = new GatewayError(ErrorKind.Overloaded, "Mock fault: overloaded.") { UpstreamStatus = 529 } },
            "midstream" => new MockFault { MidStreamError = true },
            "drop" => new MockFault { DropMidStream = true },
            "drop-early" => new MockFault { DropBeforeResponse = true },
            _ when spec.StartsWith("delay-", StringComparison.Ordinal) && int.TryParse(spec.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) =>
                new MockFault { DelayBeforeFirstByte = TimeSpan.FromMilliseconds(ms) },
            _ when spec.StartsWith("slow-", StringComparison.Ordinal) && int.TryParse(spec.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) =>
                new MockFault { ChunkDelay = TimeSpan.FromMilliseconds(ms) },
            _ => None,
        };
    }
}

using Microsoft.Extensions.Caching.Memory;

namespace Switchyard.Responses;

/// <summary>A stored answer: the conversation it answered (as Responses items) and the response object itself.</summary>
internal sealed record StoredResponse(string Id, string Tenant, long CreatedAt, byte[] InputItems, byte[] Response)
{
    public long Bytes => InputItems.Length + Response.Length + 64;
}

/// <summary>
/// Stored responses (<c>store: true</c>), for <c>GET /v1/responses/{id}</c> and <c>previous_response_id</c> against
/// upstreams that keep no state. In memory, bounded by <see cref="MaxBytes"/> (least recently used go first) and by
/// age (<see cref="KeepFor"/>); a response belongs to the tenant that made it.
/// </summary>
internal sealed class ResponseStore : IDisposable
{
    public const long MaxBytes = 256L * 1024 * 1024;
    public static readonly TimeSpan KeepFor = TimeSpan.FromDays(30);

    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = MaxBytes, CompactionPercentage = 0.25 });

    public void Save(StoredResponse response) =>
        _cache.Set(response.Id, response, new MemoryCacheEntryOptions { Size = response.Bytes, SlidingExpiration = KeepFor });

    /// <summary>The tenant's stored response, or null (another tenant's is as absent as a missing one).</summary>
    public StoredResponse? Get(string id, string tenant) =>
        _cache.TryGetValue(id, out StoredResponse? found) && found!.Tenant == tenant ? found : null;

    public bool Delete(string id, string tenant)
    {
        if (Get(id, tenant) is null)
        {
            return false;
        }
        _cache.Remove(id);
        return true;
    }

    public void Dispose() => _cache.Dispose();
}

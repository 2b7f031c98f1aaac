using System.Text.Json;
using System.Text.Json.Serialization;

namespace Switchyard.Tenancy;

/// <summary>
/// <see cref="UsageLimits"/> as JSON — the YAML <c>limits:</c> shape — in admin API bodies and in the store's
/// <c>limits</c> columns. A field it does not know is an error, not ignored (a typo must not lift a limit).
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record LimitsDocument(int? RequestsPerDay, long? TokensPerDay, int? Rpm, long? Tpm, int? Concurrent, decimal? BudgetUsdPerDay, decimal? BudgetUsdPerMonth)
{
    public static LimitsDocument Of(UsageLimits l) => new(l.RequestsPerDay, l.TokensPerDay, l.Rpm, l.Tpm, l.Concurrent, l.BudgetUsdPerDay, l.BudgetUsdPerMonth);

    public UsageLimits ToLimits() => new(RequestsPerDay, Rpm, Concurrent)
    {
        TokensPerDay = TokensPerDay,
        Tpm = Tpm,
        BudgetUsdPerDay = BudgetUsdPerDay,
        BudgetUsdPerMonth = BudgetUsdPerMonth,
    };

    /// <summary>The first field out of range (counts below 1, budgets below 0), or null when all are valid.</summary>
    public string? InvalidField() =>
        RequestsPerDay < 1 ? "requests_per_day" : TokensPerDay < 1 ? "tokens_per_day" : Rpm < 1 ? "rpm" : Tpm < 1 ? "tpm"
        : Concurrent < 1 ? "concurrent" : BudgetUsdPerDay < 0 ? "budget_usd_per_day" : BudgetUsdPerMonth < 0 ? "budget_usd_per_month" : null;

    /// <summary>For people: "rpm 60, $/day 5" (only the limits set), or "none".</summary>
    public string Describe()
    {
        var parts = new List<string>();
        void Add<T>(string name, T? v) where T : struct, IFormattable
        {
            if (v is { } value)
            {
                parts.Add($"{name} {value.ToString(null, System.Globalization.CultureInfo.InvariantCulture)}");
            }
        }
        Add("rpm", Rpm);
        Add("tpm", Tpm);
        Add("requests/day", RequestsPerDay);
        Add("tokens/day", TokensPerDay);
        Add("concurrent", Concurrent);
        Add("$/day", BudgetUsdPerDay);
        Add("$/month", BudgetUsdPerMonth);
        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }

    /// <summary>A store column as the document (<c>{}</c>: no limits).</summary>
    public static LimitsDocument Read(string json) => JsonSerializer.Deserialize(json, LimitsJson.Default.LimitsDocument) ?? new(null, null, null, null, null, null, null);

    /// <summary>The limits a store column holds (<c>{}</c>: none).</summary>
    public static UsageLimits Parse(string json) => Read(json).ToLimits();

    public static string Serialize(UsageLimits limits) => JsonSerializer.Serialize(Of(limits), LimitsJson.Default.LimitsDocument);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LimitsDocument))]
internal sealed partial class LimitsJson : JsonSerializerContext;

using System.Text.Json;
using Switchyard.Config;
using Switchyard.Dispatch;
using Switchyard.Protocols.Canonical;
using Switchyard.Tenancy;

namespace Switchyard.Inbound;

/// <summary>
/// Model lists built from the routes with exact names (globs cannot be listed), in the caller's protocol:
/// Anthropic's shape when the request carries <c>anthropic-version</c>, OpenAI's otherwise.
/// </summary>
internal static class ModelEndpoints
{
    public static IEndpointRouteBuilder MapModelApi(this IEndpointRouteBuilder app)
    {
        // Model lists need a gateway key like everything else: the prologue's check, refusals in the caller's protocol.
        var models = app.MapGroup("").AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var protocol = http.Request.Path.StartsWithSegments("/v1beta") ? ClientProtocol.Gemini : ProtocolOf(http);
            return await http.RequestServices.GetRequiredService<InboundPrologue>().AuthenticateAsync(http, protocol) ? await next(context) : Results.Empty;
        });
        models.MapGet("/v1/models", (HttpContext http, ConfigHolder config) => ListAsync(http, config.Current));
        models.MapGet("/v1/models/{**id}", (HttpContext http, string id, ConfigHolder config) => GetAsync(http, id, config.Current));
        models.MapGet("/v1beta/models", (HttpContext http, ConfigHolder config) => GeminiListAsync(http, config.Current));
        models.MapGet("/v1beta/models/{**id}", (HttpContext http, string id, ConfigHolder config) => GeminiGetAsync(http, id, config.Current));
        return app;
    }

    private static bool IsAnthropic(HttpContext http) => http.Request.Headers.ContainsKey("anthropic-version");

    private static ClientProtocol ProtocolOf(HttpContext http) => IsAnthropic(http) ? ClientProtocol.Anthropic : ClientProtocol.OpenAI;

    private static async Task ListAsync(HttpContext http, GatewaySnapshot snapshot)
    {
        var models = snapshot.Routes.ExactModels.Order(StringComparer.Ordinal).ToList();
        var anthropic = IsAnthropic(http);
        await WriteJsonAsync(http, w =>
        {
            w.WriteStartObject();
            if (!anthropic)
            {
                w.WriteString("object", "list");
            }
            w.WriteStartArray("data");
            foreach (var m in models)
            {
                WriteModel(w, m, anthropic);
            }
            w.WriteEndArray();
            if (anthropic)
            {
                w.WriteBoolean("has_more", false);
                WriteNullable(w, "first_id", models.FirstOrDefault());
                WriteNullable(w, "last_id", models.LastOrDefault());
            }
            w.WriteEndObject();
        });
    }

    private static async Task GetAsync(HttpContext http, string id, GatewaySnapshot snapshot)
    {
        var protocol = ProtocolOf(http);
        if (IsGeminiAction(id))
        {
            await RefuseActionAsync(http, ClientProtocol.Gemini, id, snapshot);
            return;
        }
        if (snapshot.Routes.Resolve(id) is null)
        {
            await ClientWriter.WriteErrorAsync(http, protocol, new GatewayError(ErrorKind.NotFound, $"The model '{id}' does not exist.") { Param = "model" }, "req_models", snapshot.Secrets);
            return;
        }
        await WriteJsonAsync(http, w => WriteModel(w, id, IsAnthropic(http)));
    }

    private static async Task GeminiListAsync(HttpContext http, GatewaySnapshot snapshot)
    {
        await WriteJsonAsync(http, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("models");
            foreach (var m in snapshot.Routes.ExactModels.Order(StringComparer.Ordinal))
            {
                WriteGeminiModel(w, m);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static async Task GeminiGetAsync(HttpContext http, string id, GatewaySnapshot snapshot)
    {
        var name = id.StartsWith("models/", StringComparison.Ordinal) ? id[7..] : id;
        if (IsGeminiAction(name))
        {
            await RefuseActionAsync(http, ClientProtocol.Gemini, name, snapshot);
            return;
        }
        if (snapshot.Routes.Resolve(name) is null)
        {
            await ClientWriter.WriteErrorAsync(http, ClientProtocol.Gemini, new GatewayError(ErrorKind.NotFound, $"models/{name} is not found."), "req_models", snapshot.Secrets);
            return;
        }
        await WriteJsonAsync(http, w => WriteGeminiModel(w, name));
    }

    /// <summary>
    /// <c>models/{model}:{action}</c> (generateContent, countTokens…) is POST only; a GET there is a wrong method, not an
    /// unknown model. Only Gemini's method names count: OpenAI fine-tuned model ids contain colons too (<c>ft:gpt-4o:org::id</c>).
    /// </summary>
    private static bool IsGeminiAction(string id) =>
        id.LastIndexOf(':') is var colon and > 0 && GeminiMethods.Contains(id[(colon + 1)..]);

    private static readonly HashSet<string> GeminiMethods = new(StringComparer.Ordinal)
    {
        "generateContent", "streamGenerateContent", "countTokens", "embedContent", "batchEmbedContents",
    };

    private static Task RefuseActionAsync(HttpContext http, ClientProtocol protocol, string id, GatewaySnapshot snapshot)
    {
        http.Response.Headers.Allow = "POST";
        return ClientWriter.WriteErrorAsync(http, protocol, new GatewayError(ErrorKind.MethodNotAllowed,
            $"{http.Request.Method} is not allowed on models/{id}; use POST."), "req_models", snapshot.Secrets);
    }

    private static void WriteGeminiModel(Utf8JsonWriter w, string id)
    {
        w.WriteStartObject();
        w.WriteString("name", "models/" + id);
        w.WriteString("displayName", id);
        w.WriteString("description", "Routed by Switchyard");
        w.WriteStartArray("supportedGenerationMethods");
        w.WriteStringValue("generateContent");
        w.WriteStringValue("streamGenerateContent");
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteModel(Utf8JsonWriter w, string id, bool anthropic)
    {
        w.WriteStartObject();
        if (anthropic)
        {
            w.WriteString("type", "model");
            w.WriteString("id", id);
            w.WriteString("display_name", id);
            w.WriteString("created_at", "2024-01-01T00:00:00Z");
        }
        else
        {
            w.WriteString("id", id);
            w.WriteString("object", "model");
            w.WriteNumber("created", 0);
            w.WriteString("owned_by", "switchyard");
        }
        w.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    internal static async Task WriteJsonAsync(HttpContext http, Action<Utf8JsonWriter> write)
    {
        http.Response.ContentType = "application/json";
        var writer = new Utf8JsonWriter(http.Response.BodyWriter);
        await using (writer.ConfigureAwait(false))
        {
            write(writer);
            await writer.FlushAsync(http.RequestAborted).ConfigureAwait(false);
        }
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Spectre.Console;

namespace Switchyard.Cli;

/// <summary>
/// The admin API as the CLI calls it: one request, then either the answer (as a table the caller draws, or as the
/// raw JSON with <c>--json</c>) or the gateway's refusal printed with its status. Every call returns an exit code.
/// </summary>
internal sealed class AdminClient(HttpClient http, IAnsiConsole console, bool json) : IDisposable
{
    public IAnsiConsole Console { get; } = console;
    public bool Json { get; } = json;
    public HttpClient Http { get; } = http;

    public static AdminClient Create(string url, string? adminKey, IAnsiConsole console, bool json)
    {
        var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(60) };
        if (adminKey is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        }
        return new AdminClient(http, console, json);
    }

    /// <summary>GET, then the table (or the JSON as it came).</summary>
    public async Task<int> ShowAsync<T>(string path, JsonTypeInfo<T> contract, Action<T, IAnsiConsole> table)
    {
        var (status, text) = await SendAsync(HttpMethod.Get, path, null).ConfigureAwait(false);
        return Answer(status, text, contract, table);
    }

    /// <summary>A change (POST, PATCH, DELETE) with an optional JSON body, then what the gateway answered.</summary>
    public async Task<int> ChangeAsync<T>(HttpMethod method, string path, JsonNode? body, JsonTypeInfo<T> contract, Action<T, IAnsiConsole> done)
    {
        var (status, text) = await SendAsync(method, path, body).ConfigureAwait(false);
        return Answer(status, text, contract, done);
    }

    /// <summary>A change whose answer has no body (204), with what to say when it succeeded.</summary>
    public async Task<int> ChangeAsync(HttpMethod method, string path, JsonNode? body, string done)
    {
        var (status, text) = await SendAsync(method, path, body).ConfigureAwait(false);
        if (!IsSuccess(status))
        {
            return Failed(status, text);
        }
        if (Json)
        {
            Write(text.Length > 0 ? text : new JsonObject { ["ok"] = true, ["status"] = (int)status }.ToJsonString());
        }
        else
        {
            Console.MarkupLineInterpolated($"[green]{done}[/]");
        }
        return AdminCommands.Ok;
    }

    public async Task<(HttpStatusCode Status, string Text)> SendAsync(HttpMethod method, string path, JsonNode? body)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }
        using var response = await Http.SendAsync(request).ConfigureAwait(false);
        return (response.StatusCode, await response.Content.ReadAsStringAsync().ConfigureAwait(false));
    }

    public static T? Read<T>(string text, JsonTypeInfo<T> contract) => JsonSerializer.Deserialize(text, contract);

    public int Answer<T>(HttpStatusCode status, string text, JsonTypeInfo<T> contract, Action<T, IAnsiConsole> table)
    {
        if (!IsSuccess(status))
        {
            return Failed(status, text);
        }
        if (Json)
        {
            Write(text);
        }
        else
        {
            table(JsonSerializer.Deserialize(text, contract)!, Console);
        }
        return AdminCommands.Ok;
    }

    public void Write(string text) => Console.Profile.Out.Writer.WriteLine(text);

    public static bool IsSuccess(HttpStatusCode status) => (int)status is >= 200 and < 300;

    /// <summary>The gateway's refusal: its status and its error message (the OpenAI error shape the admin API writes).</summary>
    public int Failed(HttpStatusCode status, string body)
    {
        if (Json)
        {
            Write(body.Length > 0 ? body : new JsonObject { ["error"] = new JsonObject { ["message"] = status.ToString() }, ["status"] = (int)status }.ToJsonString());
            return AdminCommands.Refused;
        }
        var message = body;
        try
        {
            var node = JsonNode.Parse(body);
            message = node?["error"]?["message"]?.GetValue<string>() ?? node?["error"]?.GetValue<string>() ?? body;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // not JSON: shown as it came
        }
        Console.MarkupLineInterpolated($"[red]{(int)status}[/] {message}");
        return AdminCommands.Refused;
    }

    public void Dispose() => Http.Dispose();

    /// <summary>A cell: "-" for nothing, invariant formats, markup escaped.</summary>
    public static string Cell<T>(T? value) => Markup.Escape(value switch
    {
        null => "-",
        DateTimeOffset d => d.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "-",
    });
}

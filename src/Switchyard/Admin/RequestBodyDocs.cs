using Microsoft.OpenApi;

namespace Switchyard.Admin;

/// <summary>
/// The JSON body an admin endpoint reads itself (its own reader names a wrong field), described in the OpenAPI
/// document. Unlike <c>Accepts&lt;T&gt;()</c> this adds no content-type constraint to routing: <c>curl -d</c> without a
/// content type still reaches the handler and gets its error, not a bare 415.
/// </summary>
internal static class RequestBodyDocs
{
    public static RouteHandlerBuilder Body<T>(this RouteHandlerBuilder builder, bool required = true) =>
        builder.AddOpenApiOperationTransformer(async (operation, context, ct) =>
        {
            var schema = await context.GetOrCreateSchemaAsync(typeof(T), null, ct).ConfigureAwait(false);
            OptionalWhenNullable(schema);
            if (schema is OpenApiSchema { Required: { } mustGive })
            {
                // Fields of a nullable type (a reference to another schema carries no "null" type of its own) may be left out.
                var nullability = new System.Reflection.NullabilityInfoContext();
                foreach (var property in typeof(T).GetProperties())
                {
                    if (nullability.Create(property).ReadState == System.Reflection.NullabilityState.Nullable)
                    {
                        mustGive.Remove(System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name));
                    }
                }
            }
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = required,
                Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal) { ["application/json"] = new() { Schema = schema } },
            };
        });

    /// <summary>A request's nullable fields may be left out (the positional records list every field as required).</summary>
    private static void OptionalWhenNullable(IOpenApiSchema schema)
    {
        if (schema is not OpenApiSchema s)
        {
            return; // a reference: a shared component, described as the answers have it
        }
        if (s.Required is { } required && s.Properties is { } properties)
        {
            foreach (var (name, property) in properties)
            {
                if (property.Type is { } type && type.HasFlag(JsonSchemaType.Null))
                {
                    required.Remove(name);
                }
                OptionalWhenNullable(property);
            }
        }
        if (s.Items is { } items)
        {
            OptionalWhenNullable(items);
        }
    }
}

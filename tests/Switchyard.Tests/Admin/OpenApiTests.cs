using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Admin;

/// <summary>The admin API describes itself: an OpenAPI document with every admin endpoint, and a reference page that needs no network.</summary>
public sealed class OpenApiTests
{
    [Fact]
    public async Task The_document_lists_every_admin_endpoint_with_its_snake_case_bodies()
    {
        await using var gw = await Gateway.StartAsync(Gateway.AnyModelToMock);
        using var response = await gw.Client.GetAsync("/admin/v1/openapi.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.StartsWith("3.", document["openapi"]!.GetValue<string>(), StringComparison.Ordinal);
        var paths = document["paths"]!.AsObject();

        // Every admin endpoint of the gateway's own endpoint table is documented, with its methods (an endpoint added later is covered too).
        var admin = gw.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } p && (p.StartsWith("/admin/v1/", StringComparison.Ordinal) || p.StartsWith("/providers", StringComparison.Ordinal))
                && !p.StartsWith("/admin/v1/reference", StringComparison.Ordinal) && p != "/admin/v1/openapi.json")
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => (Path: Regex.Replace(e.RoutePattern.RawText!, @"\{\*\*|:int\}", m2 => m2.Value == ":int}" ? "}" : "{"), Method: m.ToLowerInvariant())))
            .ToList();
        Assert.True(admin.Count >= 30, $"{admin.Count} admin endpoints");
        foreach (var (path, method) in admin)
        {
            Assert.True(paths[path]?[method] is not null, $"{method} {path} is not in the OpenAPI document");
        }

        // Bodies as they are written: snake_case names, integers as integers.
        var keyView = document["components"]!["schemas"]!["ProviderKeyView"]!["properties"]!.AsObject();
        Assert.Contains("max_failures", keyView.Select(p => p.Key));
        Assert.Equal("integer", keyView["weight"]!["type"]!.GetValue<string>());
        Assert.Equal("#/components/schemas/ProviderSpecView",
            paths["/admin/v1/providers"]!["post"]!["responses"]!["201"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());

        // Request bodies in the YAML shape; only what must be given is required.
        JsonNode Body(string path, string method) => paths[path]![method]!["requestBody"]!["content"]!["application/json"]!["schema"]!;
        var route = Body("/admin/v1/routes", "post");
        Assert.Equal(["model", "targets"], route["required"]!.AsArray().Select(r => r!.GetValue<string>()).Order());
        Assert.Contains("rules", route["properties"]!.AsObject().Select(p => p.Key));
        Assert.Equal(["name", "type"], Body("/admin/v1/providers", "post")["required"]!.AsArray().Select(r => r!.GetValue<string>()).Order());
        Assert.Equal(["key"], Body("/admin/v1/providers/{name}/keys", "post")["required"]!.AsArray().Select(r => r!.GetValue<string>()));
        foreach (var (path, method) in new[] { ("/admin/v1/tenants", "post"), ("/admin/v1/tenants/{name}", "patch"), ("/admin/v1/tenants/{name}/keys", "post"),
            ("/admin/v1/keys/{id}/rotate", "post"), ("/admin/v1/providers/{name}/test", "post"), ("/admin/v1/routes/{model}", "patch"), ("/admin/v1/providers/{name}", "patch") })
        {
            Assert.True(Body(path, method)["properties"]!.AsObject().Count > 0, $"{method} {path} documents its body");
        }
    }

    [Fact]
    public async Task Documenting_a_body_does_not_constrain_its_content_type()
    {
        // curl -d sends application/x-www-form-urlencoded: the handler still reads the JSON (no bare 415 from routing).
        await using var gw = await Gateway.StartAsync(Gateway.AnyModelToMock);
        using var created = await gw.Client.PostAsync("/admin/v1/tenants", new StringContent("""{"name":"curl-team"}""", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var empty = await gw.Client.PostAsync("/admin/v1/providers/mock/test", null);
        Assert.NotEqual(HttpStatusCode.UnsupportedMediaType, empty.StatusCode);
        Assert.NotEqual(HttpStatusCode.MethodNotAllowed, empty.StatusCode);
    }

    [Fact]
    public async Task The_reference_page_is_served_by_the_gateway_with_its_script_and_no_external_asset()
    {
        await using var gw = await Gateway.StartAsync(Gateway.AnyModelToMock);
        var page = await gw.Client.GetStringAsync("/admin/v1/reference/");
        Assert.Contains("\"url\":\"admin/v1/openapi.json\"", page, StringComparison.Ordinal);
        var scripts = Regex.Matches(page, "<script[^>]*src=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("scalar.js", scripts);
        Assert.DoesNotMatch("(src|href)=\"(https?:)?//", page); // nothing from a CDN
        foreach (var script in scripts)
        {
            using var asset = await gw.Client.GetAsync("/admin/v1/reference/" + script);
            Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
            Assert.True((await asset.Content.ReadAsByteArrayAsync()).Length > 1000, script);
        }
    }
}

using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Providers.Mock;

/// <summary>What the mock decided to do with one request.</summary>
internal abstract record MockOutcome
{
    public sealed record Failure(GatewayError Error) : MockOutcome;
    public sealed record Reply(ChatResponse Response) : MockOutcome;
    public sealed record Stream(IAsyncEnumerable<StreamEvent> Events) : MockOutcome;
    /// <summary>Drop the client's connection without an answer.</summary>
    public sealed record Drop : MockOutcome;
}


/// <summary>
/// The built-in <c>mock</c> provider: deterministic answers in canonical form (so every client protocol gets
/// them in its own shape), tool calls when offered and asked for, thinking when requested, realistic usage,
/// and faults chosen per request by a model-name suffix (<c>…-fault-429</c>) or the <c>x-mock-fault</c> header.
/// </summary>
internal sealed class MockProvider(TimeProvider time)
{
    public const string FaultHeader = "x-mock-fault";
    private const int WordsPerChunk = 3;

    /// <param name="dropConnection">Drops the client's connection (the <c>drop</c> fault, mid-stream).</param>
    public async ValueTask<MockOutcome> RespondAsync(ChatRequest request, string model, string? faultHeader, Action dropConnection, CancellationToken ct)
    {
        var fault = MockFault.Parse(faultHeader, model);
        if (fault.DelayBeforeFirstByte > TimeSpan.Zero)
        {
            await Task.Delay(fault.DelayBeforeFirstByte, time, ct).ConfigureAwait(false);
        }
        if (fault.Error is { } error)
        {
            return new MockOutcome.Failure(error);
        }
        if (fault.DropBeforeResponse)
        {
            return new MockOutcome.Drop();
        }
        var response = Compose(request, model);
        return request.Stream
            ? new MockOutcome.Stream(StreamAsync(response, fault, dropConnection, ct))
            : new MockOutcome.Reply(response);
    }

    internal ChatResponse Compose(ChatRequest request, string model)
    {
        var (lastText, lastIsToolResult) = LastUserTurn(request);
        var response = new ChatResponse
        {
            Id = "mock-" + StableHash.Fnv1a32(model + "|" + lastText).ToString("x8", System.Globalization.CultureInfo.InvariantCulture),
            Model = model,
            Created = time.GetUtcNow().ToUnixTimeSeconds(),
        };
        if (request.Reasoning is { Mode: not ReasoningMode.Disabled } && request.Reasoning.Effort != "none")
        {
            var thought = $"The user wrote: {Truncate(lastText, 120)}";
            response.Content.Add(new ThinkingPart { Text = thought, Signature = "mock-signature-" + StableHash.Fnv1a32(thought).ToString("x8", System.Globalization.CultureInfo.InvariantCulture) });
        }
        var callTools = WantsToolCall(request, lastText, lastIsToolResult);
        if (callTools.Count > 0)
        {
            response.Content.Add(new TextPart("Calling a tool."));
            var n = 0;
            foreach (var tool in callTools)
            {
                response.Content.Add(new ToolCallPart { Id = $"call_mock_{n++}", Name = tool.Name, ArgumentsJson = SampleArguments(tool.Parameters) });
            }
            response.FinishReason = FinishReason.ToolUse;
        }
        else
        {
            response.Content.Add(new TextPart(lastIsToolResult ? $"Tool result received: {Truncate(lastText, 200)}" : $"Mock response to: {Truncate(lastText, 200)}"));
            response.FinishReason = FinishReason.EndTurn;
        }
        var outputChars = response.Content.Sum(p => p switch { TextPart t => t.Text.Length, ToolCallPart c => c.ArgumentsJson.Length + c.Name.Length, ThinkingPart th => th.Text.Length, _ => 0 });
        response.Usage = new Usage
        {
            InputTokens = TokenEstimator.Count(request),
            OutputTokens = Math.Max(1, outputChars / 4),
            ReasoningTokens = response.Content.OfType<ThinkingPart>().Sum(t => Math.Max(1, t.Text.Length / 4)),
        };
        return response;
    }

    private async IAsyncEnumerable<StreamEvent> StreamAsync(ChatResponse response, MockFault fault, Action dropConnection, [EnumeratorCancellation] CancellationToken ct)
    {
        yield return new MessageStartEvent(response.Id, response.Model, new Usage { InputTokens = response.Usage.InputTokens });
        var index = 0;
        var textDeltas = 0;
        foreach (var part in response.Content)
        {
            switch (part)
            {
                case ThinkingPart thinking:
                    yield return new BlockStartEvent(index, BlockKind.Thinking);
                    yield return new BlockDeltaEvent(index, DeltaKind.Thinking, thinking.Text);
                    yield return new BlockDeltaEvent(index, DeltaKind.Signature, thinking.Signature!);
                    yield return new BlockStopEvent(index++);
                    break;
                case TextPart text:
                    yield return new BlockStartEvent(index, BlockKind.Text);
                    foreach (var chunk in Chunks(text.Text))
                    {
                        if (fault.ChunkDelay > TimeSpan.Zero)
                        {
                            await Task.Delay(fault.ChunkDelay, time, ct).ConfigureAwait(false);
                        }
                        yield return new BlockDeltaEvent(index, DeltaKind.Text, chunk);
                        if (++textDeltas == 2)
                        {
                            if (fault.MidStreamError)
                            {
                                yield return new StreamErrorEvent(new GatewayError(ErrorKind.Overloaded, "Mock fault: the upstream failed mid-stream."));
                                yield break;
                            }
                            if (fault.DropMidStream)
                            {
                                dropConnection();
                                yield break;
                            }
                        }
                    }
                    yield return new BlockStopEvent(index++);
                    break;
                case ToolCallPart call:
                    yield return new BlockStartEvent(index, BlockKind.ToolCall) { ToolCallId = call.Id, ToolName = call.Name };
                    var half = call.ArgumentsJson.Length / 2;
                    yield return new BlockDeltaEvent(index, DeltaKind.Arguments, call.ArgumentsJson[..half]);
                    yield return new BlockDeltaEvent(index, DeltaKind.Arguments, call.ArgumentsJson[half..]);
                    yield return new BlockStopEvent(index++);
                    break;
            }
        }
        yield return new MessageDeltaEvent(response.FinishReason, null, response.Usage);
        yield return MessageStopEvent.Instance;
    }

    private static IEnumerable<string> Chunks(string text)
    {
        var words = text.Split(' ');
        for (var i = 0; i < words.Length; i += WordsPerChunk)
        {
            var piece = string.Join(' ', words.Skip(i).Take(WordsPerChunk));
            yield return i + WordsPerChunk < words.Length ? piece + " " : piece;
        }
    }

    private static List<ToolDefinition> WantsToolCall(ChatRequest request, string lastText, bool lastIsToolResult)
    {
        var tools = request.Tools.Where(t => t.HostedRaw is null).ToList();
        if (tools.Count == 0 || lastIsToolResult || request.ToolChoice?.Kind == ToolChoiceKind.None)
        {
            return [];
        }
        if (request.ToolChoice is { Kind: ToolChoiceKind.Specific, Name: { } name })
        {
            return [.. tools.Where(t => t.Name == name).Take(1)];
        }
        var asked = request.ToolChoice?.Kind == ToolChoiceKind.Required || lastText.Contains("tool", StringComparison.OrdinalIgnoreCase);
        if (!asked)
        {
            return [];
        }
        var parallel = lastText.Contains("parallel", StringComparison.OrdinalIgnoreCase) && request.ToolChoice?.DisableParallel != true;
        return parallel ? [tools[0], tools.Count > 1 ? tools[1] : tools[0]] : [tools[0]];
    }

    private static (string Text, bool IsToolResult) LastUserTurn(ChatRequest request)
    {
        for (var i = request.Messages.Count - 1; i >= 0; i--)
        {
            var m = request.Messages[i];
            if (m.Role != ChatRole.User)
            {
                continue;
            }
            var results = m.Content.OfType<ToolResultPart>().ToList();
            if (results.Count > 0 && !m.Content.OfType<TextPart>().Any(t => !string.IsNullOrWhiteSpace(t.Text)))
            {
                return (string.Join(" | ", results.Select(r => string.Concat(r.Content.OfType<TextPart>().Select(t => t.Text)))), true);
            }
            return (string.Join(" ", m.Content.OfType<TextPart>().Select(t => t.Text)).Trim(), false);
        }
        return ("", false);
    }

    /// <summary>Arguments that satisfy the tool's schema: each required property gets a plain value of its type.</summary>
    internal static string SampleArguments(JsonElement? schema)
    {
        var sb = new StringBuilder("{");
        if (schema is { ValueKind: JsonValueKind.Object } s && s.TryGetProperty("properties", out var props) && props.ValueKind == JsonValueKind.Object)
        {
            var required = s.TryGetProperty("required", out var req) && req.ValueKind == JsonValueKind.Array
                ? req.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.String).Select(r => r.GetString()!).ToHashSet()
                : props.EnumerateObject().Select(p => p.Name).Take(1).ToHashSet();
            var first = true;
            foreach (var p in props.EnumerateObject().Where(p => required.Contains(p.Name)))
            {
                sb.Append(first ? "" : ",").Append(JsonSerializer.Serialize(p.Name, MockJson.Default.String)).Append(':').Append(SampleValue(p.Name, p.Value));
                first = false;
            }
        }
        return sb.Append('}').ToString();
    }

    /// <summary>A value of the property's type; a schema of any shape (the client's, unchecked) gives a string.</summary>
    private static string SampleValue(string name, JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return "\"mock\"";
        }
        if (schema.TryGetProperty("enum", out var en) && en.ValueKind == JsonValueKind.Array && en.GetArrayLength() > 0)
        {
            return en[0].GetRawText();
        }
        var type = schema.TryGetProperty("type", out var t) ? t switch
        {
            { ValueKind: JsonValueKind.String } => t.GetString(),
            { ValueKind: JsonValueKind.Array } when t.GetArrayLength() > 0 && t[0].ValueKind == JsonValueKind.String => t[0].GetString(),
            _ => null,
        } : "string";
        return type switch
        {
            "integer" or "number" => "1",
            "boolean" => "true",
            "array" => "[]",
            "object" => "{}",
            _ => name == "command" ? "\"echo mock\"" : "\"mock\"",
        };
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max] + "…";

}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class MockJson : System.Text.Json.Serialization.JsonSerializerContext;

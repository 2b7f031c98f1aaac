using System.Buffers;
using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Json;

namespace Switchyard.Protocols.Responses;

/// <summary>
/// Canonical events → Responses API SSE (<c>event: response.*</c>) for a client, with an increasing
/// <c>sequence_number</c>: <c>response.created</c> and <c>response.in_progress</c>; per block its item opened, filled
/// and closed (a message with one <c>output_text</c> part, a reasoning item with one summary part, a function or custom
/// tool call); then <c>response.completed</c> (or <c>response.incomplete</c>) carrying every item and the usage, or
/// <c>response.failed</c>. Only items that were opened are closed, and no stream ends without one of the last three.
/// </summary>
public sealed class ResponsesStreamEncoder(ResponsesEcho echo) : IStreamEncoder
{
    private readonly Utf8JsonWriter _writer = new(Stream.Null, J.WriterOptions);
    private readonly List<OutputItem> _output = [];
    /// <summary>Canonical block index → the item it fills (and that item's position in <c>output</c>).</summary>
    private readonly Dictionary<int, (OutputItem Item, int OutputIndex)> _open = [];
    private readonly HashSet<OutputItem> _summaryOpened = [];
    private string _model = "";
    private long _sequence;
    private bool _started;
    private Usage? _usage;
    private FinishReason? _finish;

    public bool IsComplete { get; private set; }

    /// <summary>The final response object as <c>response.completed</c> carried it (what a store keeps), once written.</summary>
    public byte[]? Completed { get; private set; }

    /// <summary>Called with <see cref="Completed"/> before its event is written (so it is kept before the client can ask for it).</summary>
    public Action<byte[]>? OnCompleted { get; init; }

    public void Dispose() => _writer.Dispose();

    public void Write(StreamEvent evt, IBufferWriter<byte> output)
    {
        if (IsComplete)
        {
            return;
        }
        if (!_started && evt is not StreamErrorEvent)
        {
            Start(evt as MessageStartEvent, output);
        }
        switch (evt)
        {
            case BlockStartEvent start:
                Open(start, output);
                break;
            case BlockDeltaEvent delta when _open.TryGetValue(delta.Index, out var open):
                Delta(delta, open.Item, open.OutputIndex, output);
                break;
            case BlockStopEvent stop when _open.Remove(stop.Index, out var closing):
                Close(closing.Item, closing.OutputIndex, output);
                break;
            case MessageDeltaEvent end:
                _usage = end.Usage ?? _usage;
                _finish = end.FinishReason ?? _finish;
                break;
            case MessageStopEvent:
                Finish(output);
                break;
            case StreamErrorEvent error:
                Fail(error.Error, output);
                break;
        }
    }

    private void Start(MessageStartEvent? start, IBufferWriter<byte> output)
    {
        _started = true;
        _model = start?.Model ?? "";
        _usage = start?.Usage;
        Event(output, "response.created", w => WriteResponse(w, "in_progress", done: false));
        Event(output, "response.in_progress", w => WriteResponse(w, "in_progress", done: false));
    }

    private void WriteResponse(Utf8JsonWriter w, string status, bool done, string? reason = null, GatewayError? error = null)
    {
        w.WritePropertyName("response");
        ResponsesOutput.WriteResponse(w, echo, status, _model, _output, done, done ? _usage ?? new Usage() : null, reason, error);
    }

    private void Open(BlockStartEvent start, IBufferWriter<byte> output)
    {
        OutputItem item;
        switch (start.Kind)
        {
            case BlockKind.Text:
                item = new MessageItem(ResponsesOutput.NewId("msg_"));
                break;
            case BlockKind.Thinking:
                item = new ReasoningItem(ResponsesOutput.NewId("rs_"));
                break;
            case BlockKind.RedactedThinking:
                item = new ReasoningItem(ResponsesOutput.NewId("rs_")) { EncryptedContent = ResponsesReasoning.EncryptedContentOf(new RedactedThinkingPart { Data = start.Data ?? "" }) };
                break;
            default:
                {
                    var (name, ns, custom) = echo.Tools.Describe(start.ToolName ?? "");
                    item = new CallItem(ResponsesOutput.NewId(custom ? "ctc_" : "fc_"), start.ToolCallId ?? ResponsesOutput.NewId("call_"), name, ns, custom);
                    break;
                }
        }
        var index = _output.Count;
        _output.Add(item);
        _open[start.Index] = (item, index);
        Event(output, "response.output_item.added", w =>
        {
            w.WriteNumber("output_index", index);
            w.WritePropertyName("item");
            item.Write(w, done: false);
        });
        if (item is MessageItem)
        {
            Event(output, "response.content_part.added", w =>
            {
                Locate(w, item, index);
                w.WriteNumber("content_index", 0);
                w.WritePropertyName("part");
                ResponsesOutput.WriteTextPart(w, "");
            });
        }
    }

    private void Delta(BlockDeltaEvent delta, OutputItem item, int index, IBufferWriter<byte> output)
    {
        switch (item)
        {
            case MessageItem message when delta.Kind == DeltaKind.Text:
                message.Text.Append(delta.Value);
                Event(output, "response.output_text.delta", w =>
                {
                    Locate(w, item, index);
                    w.WriteNumber("content_index", 0);
                    w.WriteString("delta", delta.Value);
                    w.WriteStartArray("logprobs");
                    w.WriteEndArray();
                });
                break;
            case ReasoningItem reasoning when delta.Kind == DeltaKind.Thinking && delta.Value.Length > 0:
                if (_summaryOpened.Add(reasoning))
                {
                    Event(output, "response.reasoning_summary_part.added", w =>
                    {
                        Locate(w, item, index);
                        w.WriteNumber("summary_index", 0);
                        SummaryPart(w, "");
                    });
                }
                reasoning.Summary.Append(delta.Value);
                Event(output, "response.reasoning_summary_text.delta", w =>
                {
                    Locate(w, item, index);
                    w.WriteNumber("summary_index", 0);
                    w.WriteString("delta", delta.Value);
                });
                break;
            case ReasoningItem reasoning when delta.Kind == DeltaKind.Signature:
                (reasoning.Signature ??= new()).Append(delta.Value);
                break;
            case CallItem call when delta.Kind == DeltaKind.Arguments:
                call.Arguments.Append(delta.Value);
                // A custom tool's input is a string inside the arguments JSON: it is sent whole when the call closes.
                if (!call.Custom && delta.Value.Length > 0)
                {
                    Event(output, "response.function_call_arguments.delta", w =>
                    {
                        Locate(w, item, index);
                        w.WriteString("delta", delta.Value);
                    });
                }
                break;
        }
    }

    private void Close(OutputItem item, int index, IBufferWriter<byte> output)
    {
        switch (item)
        {
            case MessageItem message:
                {
                    var text = message.Text.ToString();
                    Event(output, "response.output_text.done", w =>
                    {
                        Locate(w, item, index);
                        w.WriteNumber("content_index", 0);
                        w.WriteString("text", text);
                        w.WriteStartArray("logprobs");
                        w.WriteEndArray();
                    });
                    Event(output, "response.content_part.done", w =>
                    {
                        Locate(w, item, index);
                        w.WriteNumber("content_index", 0);
                        w.WritePropertyName("part");
                        ResponsesOutput.WriteTextPart(w, text);
                    });
                    break;
                }
            case ReasoningItem reasoning when _summaryOpened.Contains(reasoning):
                {
                    var text = reasoning.Summary.ToString();
                    Event(output, "response.reasoning_summary_text.done", w =>
                    {
                        Locate(w, item, index);
                        w.WriteNumber("summary_index", 0);
                        w.WriteString("text", text);
                    });
                    Event(output, "response.reasoning_summary_part.done", w =>
                    {
                        Locate(w, item, index);
                        w.WriteNumber("summary_index", 0);
                        SummaryPart(w, text);
                    });
                    break;
                }
            case CallItem { Custom: true } custom:
                {
                    var input = custom.Final;
                    Event(output, "response.custom_tool_call_input.delta", w =>
                    {
                        Locate(w, item, index);
                        w.WriteString("delta", input);
                    });
                    Event(output, "response.custom_tool_call_input.done", w =>
                    {
                        Locate(w, item, index);
                        w.WriteString("input", input);
                    });
                    break;
                }
            case CallItem call:
                Event(output, "response.function_call_arguments.done", w =>
                {
                    Locate(w, item, index);
                    w.WriteString("name", call.Name);
                    w.WriteString("arguments", call.Final);
                });
                break;
        }
        Event(output, "response.output_item.done", w =>
        {
            w.WriteNumber("output_index", index);
            w.WritePropertyName("item");
            item.Write(w, done: true);
        });
    }

    private static void SummaryPart(Utf8JsonWriter w, string text)
    {
        w.WriteStartObject("part");
        w.WriteString("type", "summary_text");
        w.WriteString("text", text);
        w.WriteEndObject();
    }

    private static void Locate(Utf8JsonWriter w, OutputItem item, int index)
    {
        w.WriteString("item_id", item.Id);
        w.WriteNumber("output_index", index);
    }

    private void Finish(IBufferWriter<byte> output)
    {
        // Blocks the upstream left open are closed first: every opened item gets its done events.
        foreach (var (_, (item, index)) in _open.OrderBy(kv => kv.Value.OutputIndex).ToList())
        {
            Close(item, index, output);
        }
        _open.Clear();
        var (status, reason) = ResponsesOutput.StatusOf(_finish);
        Completed = J.WriteToBytes(w => ResponsesOutput.WriteResponse(w, echo, status, _model, _output, done: true, _usage ?? new Usage(), reason));
        OnCompleted?.Invoke(Completed);
        Event(output, status == "completed" ? "response.completed" : "response.incomplete", w =>
        {
            w.WritePropertyName("response");
            w.WriteRawValue(Completed, skipInputValidation: true);
        });
        IsComplete = true;
    }

    /// <summary>Unstarted only after forwarded bytes (the upstream's own <c>response.created</c> went ahead): not repeated.</summary>
    private void Fail(GatewayError error, IBufferWriter<byte> output)
    {
        Event(output, "response.failed", w => WriteResponse(w, "failed", done: false, error: error));
        IsComplete = true;
    }

    private void Event(IBufferWriter<byte> output, string type, Action<Utf8JsonWriter> body)
    {
        output.Write("event: "u8);
        System.Text.EncodingExtensions.GetBytes(System.Text.Encoding.UTF8, type.AsSpan(), output);
        output.Write("\ndata: "u8);
        var w = _writer;
        w.Reset(output);
        w.WriteStartObject();
        w.WriteString("type", type);
        w.WriteNumber("sequence_number", _sequence++);
        body(w);
        w.WriteEndObject();
        w.Flush();
        output.Write("\n\n"u8);
    }
}
